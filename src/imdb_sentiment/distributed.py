"""Data-parallel training on JAX's own runtime, through ``keras.distribution``.

Every process holds the whole model; each global batch of ``batch_size`` reviews is split
evenly over the processes (and their devices), and XLA sums the gradients across them (gloo on
CPUs). The model's code does not change: Keras's ``DataParallel`` lays the variables out
replicated and the batch sharded, and the recurrent layers' loops run on each shard.

Processes find each other through a coordinator (``host:port`` of process 0), their count and
their id: given as arguments, or in Keras's variables ``KERAS_DISTRIBUTION_JOB_ADDRESSES``,
``KERAS_DISTRIBUTION_NUM_PROCESSES`` and ``KERAS_DISTRIBUTION_PROCESS_ID``.
"""

from __future__ import annotations

import keras
import numpy as np

from .errors import UserError


def initialize(coordinator: str | None = None, processes: int | None = None,
               process_id: int | None = None) -> None:
    """Join the other processes (before anything else touches JAX's devices)."""
    import jax

    if keras.backend.backend() != "jax":
        raise UserError("distributed training needs the JAX backend (KERAS_BACKEND=jax)")
    jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU all-reduce
    keras.distribution.initialize(coordinator, num_processes=processes, process_id=process_id)


def data_parallel() -> keras.distribution.DataParallel:
    """Replicated variables, batch split over every device of every process; set globally.
    Each process feeds its own part of each batch (:class:`ProcessBatches`)."""
    import jax

    distribution = keras.distribution.DataParallel(devices=jax.devices(),
                                                   auto_shard_dataset=False)
    keras.distribution.set_distribution(distribution)
    return distribution


class ProcessBatches(keras.utils.PyDataset):
    """This process's share of each global batch: ``x <int32>[batch_size / processes, maxlen]``.

    Every process draws the same order (``seed`` and the epoch), so that the processes' shares
    make up the same global batches a single process would see. The last global batch is
    dropped when it is short: every process must take the same number of rows each step.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, *, process: int = 0,
                 processes: int = 1, seed: int = 0, shuffle: bool = True):
        super().__init__()
        if batch_size % processes:
            raise UserError(f"batch size {batch_size} does not split evenly over {processes} "
                            f"processes")
        if len(x) < batch_size:
            raise UserError(f"{len(x)} reviews do not make one batch of {batch_size}")
        self.x, self.y, self.batch_size, self.seed, self.shuffle = x, y, batch_size, seed, shuffle
        self.share = batch_size // processes
        self.offset = process * self.share
        self.epoch = 0
        self._order()

    def _order(self) -> None:
        self.order = (np.random.default_rng([self.seed, self.epoch]).permutation(len(self.x))
                      if self.shuffle else np.arange(len(self.x)))

    def __len__(self) -> int:
        return len(self.x) // self.batch_size

    def __getitem__(self, step: int):
        start = step * self.batch_size + self.offset
        rows = self.order[start:start + self.share]
        return self.x[rows], self.y[rows]

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self._order()
