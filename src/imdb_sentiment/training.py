"""Training: seed everything, build the vocabulary from the training split, fit, keep the history.

Every epoch records training and test accuracy and loss, as the classic
``fit(validation_data=test)`` does. With ``validation_split`` > 0, part of the training split is
held out instead, early stopping watches it and the best epoch is kept: the test set is then only
measured, never used to choose anything.
"""

from __future__ import annotations

import keras
import numpy as np

from .cache import Encoded, encode_data
from .classifier import Classifier
from .config import Config
from .data import ImdbData
from .errors import UserError
from .model import build_model, compile_model
from .models import DEFAULT_KIND
from .runtime import prepare_for_training

EVAL_BATCH = 1024  # evaluation has no gradients: bigger batches, same numbers, fewer steps


class _TestMetrics(keras.callbacks.Callback):
    """Adds ``test_loss`` and ``test_accuracy`` to each epoch's logs (measured, never monitored)."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y

    def on_epoch_end(self, epoch, logs=None):
        results = self.model.evaluate(self.x, self.y, batch_size=EVAL_BATCH, verbose=0,
                                      return_dict=True)
        logs.update({f"test_{name}": value for name, value in results.items()})


def train(data: ImdbData | Encoded, config: Config = Config(), *, verbose="auto",
          callbacks=(), distributed: bool = False) -> Classifier:
    """Fit a new model on ``data.train`` and measure it on ``data.test`` every epoch.

    ``data`` is the reviews, or their :class:`~imdb_sentiment.cache.Encoded` arrays for this
    ``config`` (``encode_data``). Returns a :class:`Classifier` whose ``history`` holds
    per-epoch ``loss``, ``accuracy``, ``test_loss``, ``test_accuracy`` (and ``val_*`` with a
    validation split) and whose ``metrics`` holds the final test figures.

    Training sets this process to reuse freed memory and to cache compiled XLA programs on
    disk (see ``runtime.py``). A ``config.kind`` other than the recurrent one is trained by its
    own module (``models/``); the figures it returns are its own (no per-epoch history).
    ``distributed``: data-parallel over every process and device that
    :func:`imdb_sentiment.distributed.initialize` joined (``distributed.py``).
    """
    if config.kind != DEFAULT_KIND:
        if distributed:
            raise UserError(f"--distributed trains the recurrent kind; {config.kind} trains in "
                            f"one process")
        from .models import kind_class

        return kind_class(config.kind).train(data, config, verbose=verbose)
    if distributed and config.embedding_update == "lazy":
        raise UserError("the lazy embedding update does not run data-parallel: use "
                        "--embedding-update dense with --distributed")
    prepare_for_training()  # reuse freed memory; keep compiled programs on disk (runtime.py)
    keras.utils.set_random_seed(config.seed)
    encoded = data if isinstance(data, Encoded) else encode_data(data, config)
    vocabulary = encoded.vocabulary
    x_train, y_train = encoded.x_train, encoded.y_train
    x_test, y_test = encoded.x_test, encoded.y_test

    if distributed:  # before the model: its variables are laid out over every device
        from . import distributed as data_parallel

        data_parallel.data_parallel()
    model = compile_model(build_model(config), config)
    callbacks = list(callbacks)
    if config.validation_split:
        validation = (encoded.x_val, encoded.y_val)
        callbacks += [
            _TestMetrics(x_test, y_test),
            keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience,
                                          restore_best_weights=True),
        ]
    else:
        validation = (x_test, y_test)  # the classic example: test metrics every epoch

    if distributed:
        fit = data_parallel.fit(
            model, x_train, y_train, batch_size=config.batch_size, epochs=config.epochs,
            seed=config.seed, test=(x_test, y_test),
            validation=validation if config.validation_split else None,
            callbacks=[c for c in callbacks if not isinstance(c, _TestMetrics)], verbose=verbose)
        return _distributed_result(model, fit, vocabulary, config, data_parallel, x_test, y_test)
    fit = model.fit(x_train, y_train, batch_size=config.batch_size, epochs=config.epochs,
                    validation_data=validation, validation_batch_size=EVAL_BATCH,
                    callbacks=callbacks, verbose=verbose)
    history = {key: [float(v) for v in values] for key, values in fit.history.items()}
    if not config.validation_split:
        history = {key.replace("val_", "test_", 1): values for key, values in history.items()}
        metrics = {"test_loss": history["test_loss"][-1],
                   "test_accuracy": history["test_accuracy"][-1], "epoch": len(history["loss"])}
    else:
        loss, accuracy = model.evaluate(x_test, y_test, batch_size=EVAL_BATCH, verbose=0)
        best = int(np.argmin(history["val_loss"]))
        metrics = {"test_loss": float(loss), "test_accuracy": float(accuracy), "epoch": best + 1}
    metrics["test_reviews"] = len(y_test)
    return Classifier(model, vocabulary, config, history=history, metrics=metrics)


def _distributed_result(model, fit, vocabulary, config, data_parallel, x_test, y_test):
    """The Classifier of a data-parallel run: the same history keys and metrics as train's."""
    keep = ("loss", "accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy")
    history = {k: [float(v) for v in fit.history[k]] for k in keep if k in fit.history}
    if config.validation_split:
        final = data_parallel.evaluate(model, data_parallel.PaddedBatches(
            x_test, y_test, EVAL_BATCH, process=data_parallel.process(),
            processes=data_parallel.processes()))
        epoch = int(np.argmin(history["val_loss"])) + 1
    else:
        final = {"loss": history["test_loss"][-1], "accuracy": history["test_accuracy"][-1]}
        epoch = len(history["loss"])
    metrics = {"test_loss": final["loss"], "test_accuracy": final["accuracy"], "epoch": epoch,
               "test_reviews": len(y_test)}
    model = data_parallel.local_model(model, lambda: build_model(config))
    return Classifier(model, vocabulary, config, history=history, metrics=metrics)
