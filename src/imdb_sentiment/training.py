"""Training: seed everything, build the vocabulary from the training split, fit, keep the history.

Every epoch records training and test accuracy and loss, as the classic
``fit(validation_data=test)`` does. With ``validation_split`` > 0, part of the training split is
held out instead, early stopping watches it and the best epoch is kept: the test set is then only
measured, never used to choose anything.

Training refuses what would give garbage: one class of labels, a validation split that leaves
nothing to train on, a model too big for the machine's memory, a loss that stops being a finite
number. Given a ``checkpoint_dir`` it saves its state after every epoch and can resume from it
(``checkpoint.py``); Ctrl-C ends it after the step under way with :class:`Interrupted`.
"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np

from . import checkpoint as checkpoints
from .checkpoint import Checkpoint, EarlyStopping, Interrupted, StopOnInterrupt
from .classifier import Classifier
from .config import Config
from .data import ImdbData
from .errors import UserError
from .model import build_model
from .runtime import prepare_for_training
from .text import Vocabulary, tokenize

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


def train(data: ImdbData, config: Config = Config(), *, verbose="auto", callbacks=(),
          checkpoint_dir=None, resume: bool = False) -> Classifier:
    """Fit a new model on ``data.train`` and measure it on ``data.test`` every epoch.

    Returns a :class:`Classifier` whose ``history`` holds per-epoch ``loss``, ``accuracy``,
    ``test_loss``, ``test_accuracy`` (and ``val_*`` with a validation split) and whose ``metrics``
    holds the final test figures.

    ``checkpoint_dir``: a folder for a checkpoint after every epoch; ``resume=True`` continues
    the run found there from its last finished epoch (same config; ``epochs`` may grow).
    Raises :class:`Interrupted` on Ctrl-C, and a UserError when the loss is not finite.

    Training sets this process to reuse freed memory and to cache compiled XLA programs on
    disk (see ``runtime.py``).
    """
    check_fits_memory(config)
    check_labels(data)
    prepare_for_training()  # reuse freed memory; keep compiled programs on disk (runtime.py)
    keras.utils.set_random_seed(config.seed)
    train_set = data.train
    if config.validation_split:
        order = np.random.default_rng(config.seed).permutation(len(train_set))
        n_val = max(1, round(len(train_set) * config.validation_split))
        if n_val >= len(train_set):
            raise UserError(f"--validation-split {config.validation_split} of "
                            f"{len(train_set)} training reviews leaves none to train on")
        val_set, train_set = train_set.take(order[:n_val]), train_set.take(order[n_val:])

    folder = None if checkpoint_dir is None else Path(checkpoint_dir)
    train_tokens = [tokenize(t) for t in train_set.texts]
    if resume:
        vocabulary = checkpoints.read_run(folder, config)
    else:
        vocabulary = Vocabulary.from_tokens(train_tokens, config.max_features)
        if folder is not None:
            checkpoints.start(folder, config, vocabulary, str(data.source))
    x_train = vocabulary.encode_token_lists(train_tokens, config.maxlen)
    del train_tokens
    y_train = train_set.labels.astype("float32")
    x_test = vocabulary.encode_batch(data.test.texts, config.maxlen)
    y_test = data.test.labels.astype("float32")

    model = build_model(config)
    guard, stop = StopOnInterrupt(), None
    callbacks = list(callbacks)
    if config.validation_split:
        validation = (vocabulary.encode_batch(val_set.texts, config.maxlen),
                      val_set.labels.astype("float32"))
        stop = EarlyStopping(monitor="val_loss", patience=config.patience,
                             restore_best_weights=True)
        callbacks += [_TestMetrics(x_test, y_test), stop]
    else:
        validation = (x_test, y_test)  # the classic example: test metrics every epoch
    saver = Checkpoint(folder, guard, stop)
    initial_epoch = saver.restore(model) if resume else 0
    if initial_epoch >= config.epochs:
        raise UserError(f"the run to resume has finished {initial_epoch} epochs already; "
                        f"ask for more with --epochs")

    model.fit(x_train, y_train, batch_size=config.batch_size, epochs=config.epochs,
              initial_epoch=initial_epoch, validation_data=validation,
              validation_batch_size=EVAL_BATCH, callbacks=[*callbacks, guard, saver],
              verbose=verbose)
    if guard.bad_loss:
        epoch, loss = guard.bad_loss
        raise UserError(f"training diverged: the loss of epoch {epoch} is {loss}; no model was "
                        f"saved (try a smaller --learning-rate)")
    if guard.interrupted and saver.epochs_done < config.epochs and not (
            stop is not None and stop.stopped_epoch):
        raise Interrupted(saver.epochs_done, config.epochs, folder)
    history = saver.history
    if not config.validation_split:
        history = {key.replace("val_", "test_", 1): values for key, values in history.items()}
        metrics = {"test_loss": history["test_loss"][-1],
                   "test_accuracy": history["test_accuracy"][-1], "epoch": len(history["loss"])}
    else:
        loss, accuracy = model.evaluate(x_test, y_test, batch_size=EVAL_BATCH, verbose=0)
        best = int(np.argmin(history["val_loss"]))
        metrics = {"test_loss": float(loss), "test_accuracy": float(accuracy), "epoch": best + 1}
    metrics["test_reviews"] = len(y_test)
    if not all(np.isfinite(w).all() for w in model.get_weights()):
        raise UserError("training produced weights that are not finite numbers; no model was "
                        "saved (try a smaller --learning-rate)")
    return Classifier(model, vocabulary, config, history=history, metrics=metrics)


def check_labels(data: ImdbData) -> None:
    """Both classes in the training data (one class teaches nothing), and some test data."""
    classes = np.unique(data.train.labels)
    if len(classes) < 2:
        from .config import LABELS

        only = LABELS[int(classes[0])] if len(classes) else "no"
        raise UserError(f"the training data has only {only} reviews; training needs both "
                        f"classes")


def check_fits_memory(config: Config) -> None:
    """Refuse a model whose weights and Adam's state alone exceed the machine's memory (four
    float32 copies of every weight: the weight, its gradient, two moments)."""
    gates = {"simple_rnn": 1, "lstm": 4, "gru": 3}[config.cell]
    weights = (config.max_features * config.embedding_dim
               + gates * config.units * (config.embedding_dim + config.units + 2) + config.units)
    needed = 16 * weights
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return
    if needed > total:
        raise UserError(f"a model of {weights:,} weights needs about {needed / 2**30:.1f} GiB "
                        f"for training, more than this machine's {total / 2**30:.1f} GiB; "
                        f"lower --max-features, --embedding-dim or --units")
