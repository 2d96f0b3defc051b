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
from .model import build_model
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
          callbacks=()) -> Classifier:
    """Fit a new model on ``data.train`` and measure it on ``data.test`` every epoch.

    ``data`` is the reviews, or their :class:`~imdb_sentiment.cache.Encoded` arrays for this
    ``config`` (``encode_data``). Returns a :class:`Classifier` whose ``history`` holds
    per-epoch ``loss``, ``accuracy``, ``test_loss``, ``test_accuracy`` (and ``val_*`` with a
    validation split) and whose ``metrics`` holds the final test figures.

    Training sets this process to reuse freed memory and to cache compiled XLA programs on
    disk (see ``runtime.py``).
    """
    prepare_for_training()  # reuse freed memory; keep compiled programs on disk (runtime.py)
    keras.utils.set_random_seed(config.seed)
    encoded = data if isinstance(data, Encoded) else encode_data(data, config)
    vocabulary = encoded.vocabulary
    x_train, y_train = encoded.x_train, encoded.y_train
    x_test, y_test = encoded.x_test, encoded.y_test

    model = build_model(config)
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
