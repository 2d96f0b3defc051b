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

import os

import numpy as np

from .errors import UserError
from .keras_import import keras


def initialize(coordinator: str | None = None, processes: int | None = None,
               process_id: int | None = None) -> None:
    """Join the other processes (before anything else touches JAX's devices)."""
    import jax

    if keras.backend.backend() != "jax":
        raise UserError("distributed training needs the JAX backend (KERAS_BACKEND=jax)")
    jax.config.update("jax_cpu_collectives_implementation", "gloo")  # CPU all-reduce
    coordinator = coordinator or os.environ.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    if coordinator is None and (processes or 1) == 1:
        return  # one process: data-parallel over this process's own devices
    if coordinator is None:
        raise UserError("--distributed over several processes needs --coordinator HOST:PORT "
                        "(or $KERAS_DISTRIBUTION_JOB_ADDRESSES)")
    try:
        keras.distribution.initialize(coordinator, num_processes=processes,
                                      process_id=process_id)
    except (ValueError, RuntimeError) as error:  # JAX's own words: no coordinator, a timeout
        raise UserError(f"cannot join the other processes at {coordinator}: {error}") from None


def process() -> int:
    """This process's index among the training processes (0 alone)."""
    import jax

    return jax.process_index()


def processes() -> int:
    """How many processes train together (1 alone)."""
    import jax

    return jax.process_count()


def data_parallel() -> keras.distribution.DataParallel:
    """Replicated variables, batch split over every device of every process; set globally.
    Each process feeds its own part of each batch (:class:`ProcessBatches`)."""
    import jax

    distribution = keras.distribution.DataParallel(devices=jax.devices(),
                                                   auto_shard_dataset=False)
    keras.distribution.set_distribution(distribution)
    return distribution


def local_model(model: keras.Model, build) -> keras.Model:
    """A copy of a data-parallel model in this process alone (``build()`` makes the empty
    model), and the distribution unset: what comes after training (saving, predicting) must
    not wait for the other processes."""
    weights = [np.asarray(v.value.addressable_data(0)) for v in model.weights]  # replicated
    keras.distribution.set_distribution(None)
    copy = build()
    copy.set_weights(weights)
    return copy


def barrier(name: str) -> None:
    """Wait until every process gets here (process 0 saves while the others wait)."""
    if processes() > 1:
        from jax.experimental import multihost_utils

        multihost_utils.sync_global_devices(name)


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


class PaddedBatches(keras.utils.PyDataset):
    """This process's share of an evaluation set, in file order, padded with rows of weight 0
    to whole global batches: every review counts once, whatever the number of processes.
    Yields ``(x, y, sample_weight)``."""

    def __init__(self, x: np.ndarray, y: np.ndarray, batch_size: int, *, process: int = 0,
                 processes: int = 1):
        super().__init__()
        batch_size -= batch_size % processes
        steps = -(-len(x) // batch_size)
        pad = steps * batch_size - len(x)
        self.x = np.concatenate([x, np.repeat(x[:1], pad, axis=0)])
        self.y = np.concatenate([y, np.repeat(y[:1], pad)])[:, None]  # metrics want [n, 1]
        self.w = np.concatenate([np.ones(len(x), "float32"), np.zeros(pad, "float32")])
        self.steps, self.batch_size = steps, batch_size
        self.share = batch_size // processes
        self.offset = process * self.share

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, step: int):
        rows = slice(step * self.batch_size + self.offset,
                     step * self.batch_size + self.offset + self.share)
        return self.x[rows], self.y[rows], self.w[rows]


class ShardedEvaluation(keras.callbacks.Callback):
    """Adds ``{prefix}loss`` and ``{prefix}accuracy`` of a held-out set to each epoch's logs,
    evaluated across the processes (``fit(validation_data=...)`` would need every process to
    hold the whole set and Keras to split it, which it does only for tf.data)."""

    def __init__(self, prefix: str, batches: PaddedBatches):
        super().__init__()
        self.prefix, self.batches = prefix, batches

    def on_epoch_end(self, epoch, logs=None):
        logs.update({f"{self.prefix}{k}": v for k, v in evaluate(self.model, self.batches).items()})


def evaluate(model: keras.Model, batches: PaddedBatches) -> dict:
    """``{"loss", "accuracy"}`` over the real rows: weighted metrics, so padding counts 0."""
    results = model.evaluate(batches, verbose=0, return_dict=True)
    return {"loss": float(results["weighted_loss"]),
            "accuracy": float(results["weighted_accuracy"])}


def fit(model: keras.Model, x, y, *, batch_size: int, epochs: int, seed: int, test,
        validation=None, callbacks=(), verbose="auto") -> keras.callbacks.History:
    """``model.fit`` data-parallel over every process, with per-epoch ``test_*`` (and ``val_*``)
    figures measured across the processes. ``model`` is compiled; it is compiled again here with
    weighted metrics for the padded evaluation sets (before any step: nothing is lost)."""
    rank, count = process(), processes()
    model.compile(optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"],
                  weighted_metrics=[
                      keras.metrics.BinaryAccuracy(name="weighted_accuracy"),
                      keras.metrics.BinaryCrossentropy(name="weighted_loss")])

    def padded(x, y):
        return PaddedBatches(x, y, 1024, process=rank, processes=count)

    measure = [ShardedEvaluation("test_", padded(*test))]
    if validation is not None:  # before the caller's callbacks: EarlyStopping reads val_loss
        measure.insert(0, ShardedEvaluation("val_", padded(*validation)))
    batches = ProcessBatches(x, y.reshape(-1, 1), batch_size, process=rank, processes=count,
                             seed=seed)  # labels <float32>[n, 1], as the metrics want them
    return model.fit(batches, epochs=epochs, callbacks=[*measure, *callbacks], verbose=verbose)
