"""The machine's limits for one training epoch, and how close the measured epochs come.

Floating point work counts the matrix products only (the elementwise gate arithmetic is a few
percent of it): per review and time step a cell with ``g`` gate blocks multiplies the input
(``embedding_dim``) and the state (``units``) by ``g * units`` columns, ``2 * g * units *
(embedding_dim + units)`` FLOPs; the backward pass does twice the forward work (the gradients of
the weights and of the inputs), so a training step is 3 forward passes.

The dense Adam update reads and writes the whole embedding table every step whatever the batch
holds, so its floor is memory traffic, not arithmetic. The lazy update (``--embedding-update
lazy``) touches only the batch's rows: its floor is counted as zero.
"""

from __future__ import annotations

import math

GATES = {"simple_rnn": 1, "gru": 3, "lstm": 4}


def epoch_flops(cell: str, reviews: int, maxlen: int, embedding_dim: int, units: int) -> float:
    """Matrix-product FLOPs of one training epoch (forward and backward) of ``cell``."""
    per_step = 2 * GATES[cell] * units * (embedding_dim + units)
    return 3.0 * reviews * maxlen * per_step


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
    epoch_s = train["epoch_s"]
    return {
        "epoch_gflop": flops / 1e9,
        "ideal_compute_epoch_s": compute_s,
        "ideal_compute_epoch_s_at_batch32_rate": compute_batch32_s,
        "dense_adam_memory_floor_epoch_s": memory_s,
        "ideal_epoch_s": compute_s + memory_s,
        "achieved_fraction_of_compute": compute_s / epoch_s,
        "achieved_fraction_of_compute_plus_memory": (compute_s + memory_s) / epoch_s,
    }
