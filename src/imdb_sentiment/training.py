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

import numpy as np

from . import checkpoint as checkpoints
from .cache import Encoded, encode_data
from .checkpoint import Checkpoint, EarlyStopping, Interrupted, StopOnInterrupt
from .classifier import Classifier
from .config import Config
from .data import ImdbData
from .encoding import encode_sets
from .errors import UserError
from .keras_import import keras
from .model import build_model, compile_model
from .models import DEFAULT_KIND
from .runtime import prepare_for_training

# evaluation has no gradients: bigger batches, same numbers, fewer steps. 1000 divides the 25,000
# IMDB test reviews, so no second program is traced and compiled for a shorter last batch
# (1024 ran no faster; BENCHMARKS.md, Decisions)
EVAL_BATCH = 1000


class _TestMetrics(keras.callbacks.Callback):
    """Adds ``test_loss`` and ``test_accuracy`` to each epoch's logs (measured, never monitored)."""

    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y

    def on_epoch_end(self, epoch, logs=None):
        results = self.model.evaluate(self.x, self.y, batch_size=EVAL_BATCH, verbose=0,
                                      return_dict=True)
        logs.update({f"test_{name}": value for name, value in results.items()})


def train(train_set, test_set=None, config: Config = Config(), *, verbose="auto",
          callbacks=(), distributed: bool = False, checkpoint_dir=None,
          resume: bool = False) -> Classifier:
    """Fit a new model on ``train_set`` and measure it on ``test_set`` every epoch.

    The sets are labeled reviews: in memory (:class:`~imdb_sentiment.data.LabeledTexts`, as
    ``load_imdb`` gives them; encoded on arrays, ``cache.encode_data``) or in a file
    (:class:`~imdb_sentiment.labeled.LabeledFile`, from ``open_labeled``: streamed,
    ``encoding.py``). ``train(train_set, test_set, config)``; ``train(imdb, config)`` is short
    for ``train(imdb.train, imdb.test, config)``, and ``train(encoded, config)`` takes the
    :class:`~imdb_sentiment.cache.Encoded` arrays of the cache. Returns a :class:`Classifier`
    whose ``history`` holds per-epoch ``loss``, ``accuracy``, ``test_loss``, ``test_accuracy``
    (and ``val_*`` with a validation split), whose ``metrics`` holds the final test figures and
    whose ``data`` says what it was trained and measured on (the bundle's ``data.json``).

    ``checkpoint_dir``: a folder for a checkpoint after every epoch; ``resume=True`` continues
    the run found there from its last finished epoch (same config; ``epochs`` may grow).
    Raises :class:`Interrupted` on Ctrl-C, and a UserError when the loss is not finite.

    Training sets this process to reuse freed memory and to cache compiled XLA programs on
    disk (see ``runtime.py``). A ``config.kind`` other than the recurrent one is trained by its
    own module (``models/``); the figures it returns are its own (no per-epoch history).
    ``distributed``: data-parallel over every process and device that
    :func:`imdb_sentiment.distributed.initialize` joined (``distributed.py``).
    """
    train_set, test_set, config, record = _sets(train_set, test_set, config)
    if config.kind != DEFAULT_KIND:
        if distributed or resume:
            raise UserError(f"--distributed and --resume train the recurrent kind; "
                            f"{config.kind} trains in one process, in a minute or less")
        from .labeled import in_memory
        from .models import kind_class

        classifier = kind_class(config.kind).train(
            in_memory(train_set), in_memory(test_set), config, verbose=verbose,
            unsup_source=record.get("imdb"))  # unlabeled reviews, for kinds that pretrain
        classifier.data = record
        return classifier
    if distributed and config.embedding_update == "lazy":
        raise UserError("the lazy embedding update does not run data-parallel: use "
                        "--embedding-update dense with --distributed")
    if distributed and (resume or checkpoint_dir is not None):
        raise UserError("--distributed runs keep no checkpoints: they cannot be resumed")
    check_fits_memory(config)
    prepare_for_training()  # reuse freed memory; keep compiled programs on disk (runtime.py)
    keras.utils.set_random_seed(config.seed)
    encoded = _encode(train_set, test_set, config)
    check_labels(encoded.y_train)
    vocabulary = encoded.vocabulary
    x_train, y_train = encoded.x_train, encoded.y_train
    x_test, y_test = encoded.x_test, encoded.y_test
    folder = None if checkpoint_dir is None else Path(checkpoint_dir)
    if resume:
        if checkpoints.read_run(folder, config).words != vocabulary.words:
            raise UserError(f"cannot resume from {folder}: the training reviews are not the "
                            f"run's (their vocabulary differs)")
    elif folder is not None:
        checkpoints.start(folder, config, vocabulary, record.get("imdb") or str(
            record["train"].get("file", "")))

    if distributed:  # before the model: its variables are laid out over every device
        from . import distributed as data_parallel

        data_parallel.data_parallel()
    model = compile_model(build_model(config), config)
    guard, stop = StopOnInterrupt(), None
    callbacks = list(callbacks)
    if config.validation_split:
        validation = (encoded.x_val, encoded.y_val)
        stop = EarlyStopping(monitor="val_loss", patience=config.patience,
                             restore_best_weights=True)
        callbacks += [_TestMetrics(x_test, y_test), stop]
    else:
        validation = (x_test, y_test)  # the classic example: test metrics every epoch

    if distributed:
        fit = data_parallel.fit(
            model, x_train, y_train, batch_size=config.batch_size, epochs=config.epochs,
            seed=config.seed, test=(x_test, y_test),
            validation=validation if config.validation_split else None,
            callbacks=[c for c in callbacks if not isinstance(c, _TestMetrics)], verbose=verbose)
        classifier = _distributed_result(model, fit, vocabulary, config, data_parallel, x_test,
                                         y_test)
        classifier.data = record
        return classifier
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
    classifier = Classifier(model, vocabulary, config, history=history, metrics=metrics)
    classifier.data = record
    return classifier


def _sets(train_set, test_set, config):
    """``(train_set, test_set, config, data record)``, also for ``train(imdb_data, config)``
    and ``train(encoded, config)`` (the sets are then the ImdbData or the Encoded itself)."""
    from .labeled import counts, data_record

    if isinstance(train_set, ImdbData | Encoded):
        if test_set is not None and not isinstance(test_set, Config):
            raise TypeError("train(train_set, test_set, config), or train(data, config) with "
                            "an ImdbData or Encoded")
        config = test_set if test_set is not None else config
        if isinstance(train_set, Encoded):
            labels = np.concatenate([train_set.y_train, train_set.y_val])
            return train_set, None, config, {"train": counts(labels),
                                             "test": counts(train_set.y_test)}
        extra = {"imdb": str(train_set.source)} if train_set.source else {}
        train_set, test_set = train_set.train, train_set.test
        return train_set, test_set, config, data_record(train_set, test_set, **extra)
    if test_set is None:
        raise TypeError("train(train_set, test_set, config) needs a test set")
    return train_set, test_set, config, data_record(train_set, test_set)


def _encode(train_set, test_set, config) -> Encoded:
    """The arrays of training: as they are (the cache's), on arrays for sets in memory
    (``cache.encode_data``, tokens.py), streamed for files (``encoding.encode_sets``)."""
    from .labeled import LabeledFile

    if isinstance(train_set, Encoded):
        return train_set
    if isinstance(train_set, LabeledFile) or isinstance(test_set, LabeledFile):
        return encode_sets(train_set, test_set, config)
    return encode_data(ImdbData(train_set, test_set, None), config)


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


def check_labels(labels: np.ndarray) -> None:
    """Both classes in the training labels: one class teaches nothing."""
    classes = np.unique(labels)
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
