"""The machine's limits for one training epoch, and how close the measured epochs come.

Floating point work counts the matrix products only (the elementwise gate arithmetic is a few
percent of it): per review and time step a cell with ``g`` gate blocks multiplies the input
(``embedding_dim``) and the state (``units``) by ``g * units`` columns, ``2 * g * units *
(embedding_dim + units)`` FLOPs; the backward pass does twice the forward work (the gradients of
the weights and of the inputs), so a training step is 3 forward passes.

The dense Adam update reads and writes the whole embedding table every step whatever the batch
holds, so its floor is memory traffic, not arithmetic. The lazy update (``--embedding-update
lazy``) touches only the batch's rows: its floor is counted as zero.

The compute floor runs every FLOP at the large product's rate, but a third of them cannot: the
recurrent state's products in the forward loop and the reverse loop (``h @ U``, ``dh @ U.T``)
depend on the previous step, so they are ``maxlen`` sequential products of ``batch_size`` rows,
at best at the batch-32 rate. The attainable epoch adds those at that rate, everything else at
the large rate, and the memory floor: an upper bound on the fraction of the compute floor any
implementation reaches on this machine, counting no other work at all. The machine part also
times the products of one classic step alone as XLA runs them (``step_products_ms``); with the
memory floor they give the same bound for this stack (``xla_attainable_*``).
"""

from __future__ import annotations

import math

GATES = {"simple_rnn": 1, "gru": 3, "lstm": 4}


def epoch_flops(cell: str, reviews: int, maxlen: int, embedding_dim: int, units: int) -> float:
    """Matrix-product FLOPs of one training epoch (forward and backward) of ``cell``."""
    per_step = 2 * GATES[cell] * units * (embedding_dim + units)
    return 3.0 * reviews * maxlen * per_step


def sequential_flops(cell: str, reviews: int, maxlen: int, units: int) -> float:
    """The part of :func:`epoch_flops` in products that wait for the previous time step."""
    per_step = 2 * GATES[cell] * units * units
    return 2.0 * reviews * maxlen * per_step  # h @ U forward, dh @ U.T backward


def adam_floor_s(reviews: int, batch_size: int, dense_adam_update_ms: float) -> float:
    """Seconds per epoch that the dense embedding update alone needs at the measured bandwidth."""
    return math.ceil(reviews / batch_size) * dense_adam_update_ms / 1e3


def limits(machine: dict, train: dict, *, reviews: int, embedding_dim: int, units: int,
           large_key: str) -> dict:
    """Ideal epoch times of one configuration and the fractions of them it achieves."""
    flops = epoch_flops(train["cell"], reviews, train["maxlen"], embedding_dim, units)
    compute_s = flops / (machine[large_key] * 1e9)
    compute_batch32_s = flops / (machine["matmul_32x128x128_gflops"] * 1e9)
    memory_s = (adam_floor_s(reviews, train["batch_size"], machine["dense_adam_update_ms"])
                if train.get("embedding_update", "dense") == "dense" else 0.0)
    sequential = sequential_flops(train["cell"], reviews, train["maxlen"], units)
    attainable_s = (sequential / (machine["matmul_32x128x128_gflops"] * 1e9)
                    + (flops - sequential) / (machine[large_key] * 1e9) + memory_s)
    epoch_s = train["epoch_s"]
    steps = math.ceil(reviews / train["batch_size"])
    xla_products_s = steps * machine.get("step_products_ms", {}).get(train["cell"], math.nan) / 1e3
    return {
        "epoch_gflop": flops / 1e9,
        "ideal_compute_epoch_s": compute_s,
        "ideal_compute_epoch_s_at_batch32_rate": compute_batch32_s,
        "dense_adam_memory_floor_epoch_s": memory_s,
        "ideal_epoch_s": compute_s + memory_s,
        "sequential_gflop": sequential / 1e9,
        "attainable_epoch_s": attainable_s,
        "attainable_fraction_of_compute": compute_s / attainable_s,
        "xla_products_epoch_s": xla_products_s,
        "xla_attainable_epoch_s": xla_products_s + memory_s,
        "xla_attainable_fraction_of_compute": compute_s / (xla_products_s + memory_s),
        "achieved_fraction_of_compute": compute_s / epoch_s,
        "achieved_fraction_of_compute_plus_memory": (compute_s + memory_s) / epoch_s,
    }
