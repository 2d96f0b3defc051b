"""Training of the ``birnn`` kind: split, vocabulary, word vectors, fit with early stopping.

Every choice is made on a validation split of the training reviews (``validation_split``, rows
drawn with ``seed`` exactly as the other kinds draw them, so an ensemble's members share it): the
epoch (early stopping on validation loss, best weights kept) and the calibration. The test set
is scored once, after training. ``metrics`` records the time of each stage.
"""

from __future__ import annotations

import time

import numpy as np
from scipy.special import expit

from ..calibration import Platt, expected_calibration_error
from ..errors import UserError
from ..keras_import import keras
from ..text import FIRST_WORD_ID, Vocabulary, tokenize
from .birnn_net import build_network


def split(n: int, config) -> tuple[np.ndarray, np.ndarray]:
    """``(fit rows, validation rows)`` of ``n`` training reviews, as every kind draws them."""
    order = np.random.default_rng(config.seed).permutation(n)
    n_val = max(1, round(n * config.validation_split))
    return order[n_val:], order[:n_val]


def train(cls, train_set, test_set, config, *, verbose="auto", callbacks=(), unsup_source=None):
    """Fit ``cls`` (:class:`~.birnn.BiRNN`) on ``train_set``; measure ``test_set`` once.
    ``unsup_source``: an aclImdb archive or folder whose ``train/unsup`` reviews join the
    training texts for the word vectors (None: the training texts alone)."""
    from ..classifier import Classifier
    from ..runtime import prepare_for_training
    from .birnn import ECE_LIMIT, Batches, test_figures
    from .birnn_net import CELLS

    if config.cell not in CELLS:
        raise UserError(f"the birnn kind runs {' or '.join(CELLS)}, not {config.cell}")
    if not config.validation_split:
        raise UserError("the birnn kind stops early on a validation split: give "
                        "validation_split > 0")
    say = print if verbose else (lambda *_, **__: None)
    started = time.perf_counter()
    prepare_for_training()
    keras.utils.set_random_seed(config.seed)
    tokens = [tokenize(t) for t in train_set.texts]
    labels = np.asarray(train_set.labels)
    fit_rows, val_rows = split(len(tokens), config)
    vocabulary = Vocabulary.from_tokens([tokens[i] for i in fit_rows], config.max_features)
    metrics = {"val_reviews": len(val_rows)}

    network = build_network(config, config.max_features)
    if config.pretrain_epochs:
        from .. import word_vectors

        t0 = time.perf_counter()
        unlabeled = ([tokenize(t) for t in word_vectors.unlabeled_texts(unsup_source)]
                     if unsup_source is not None else [])
        say(f"word vectors: {len(unlabeled)} unlabeled reviews + {len(tokens)} training texts",
            flush=True)
        words, vectors = word_vectors.pretrain(
            unlabeled + tokens, config.embedding_dim, config.pretrain_epochs, config.seed,
            cache=word_vectors.default_cache(), say=lambda m: say(m, flush=True))
        network.get_layer("embedding").set_weights([word_vectors.embedding_matrix(
            vocabulary.words, FIRST_WORD_ID, config.max_features, words, vectors, config.seed)])
        metrics.update(pretrain_seconds=time.perf_counter() - t0,
                       unlabeled_reviews=len(unlabeled))

    model = cls(network, vocabulary, config)
    sequences = model.encode_tokens(tokens)
    del tokens
    train_batches = Batches([sequences[i] for i in fit_rows], labels[fit_rows],
                            config.batch_size, config.maxlen, seed=config.seed)
    val_batches = Batches([sequences[i] for i in val_rows], labels[val_rows],
                          config.batch_size, config.maxlen)
    network.compile(optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
                    loss="binary_crossentropy", weighted_metrics=["accuracy"])
    t0 = time.perf_counter()
    fit = network.fit(train_batches, validation_data=val_batches, epochs=config.epochs,
                      callbacks=[*callbacks, keras.callbacks.EarlyStopping(
                          monitor="val_loss", patience=config.patience,
                          restore_best_weights=True)],
                      verbose=verbose)
    metrics["fit_seconds"] = time.perf_counter() - t0
    history = {k: [float(v) for v in values] for k, values in fit.history.items()}
    metrics["epoch"] = int(np.argmin(history["val_loss"])) + 1

    val_sequences = [sequences[i] for i in val_rows]
    raw = model.raw_logits(val_sequences)
    val_labels = labels[val_rows]
    ece = expected_calibration_error(val_labels, expit(raw))
    metrics.update(val_accuracy=float(((raw >= 0) == val_labels).mean()), val_ece=ece)
    if config.calibration == "platt" or (config.calibration == "auto" and ece > ECE_LIMIT):
        model.calibration = Platt.fit(raw, val_labels)
        metrics["calibration"] = model.calibration.to_json()
    model.model = build_network(config, config.max_features)  # uncompiled: no optimizer kept
    model.model.set_weights(network.get_weights())
    model.validation = (val_rows, raw)
    say(f"validation: accuracy {metrics['val_accuracy']:.4f}, ECE {ece:.4f} "
        f"(best epoch {metrics['epoch']})", flush=True)
    metrics["train_seconds"] = time.perf_counter() - started

    if len(test_set):  # none: a validation-only run (bench/strong.py's ablations)
        t0 = time.perf_counter()
        probabilities = model.predict_proba(test_set.texts)
        metrics.update(test_figures(test_set.labels, probabilities),
                       test_seconds=time.perf_counter() - t0)
    return Classifier(model, history=history, metrics=metrics)
