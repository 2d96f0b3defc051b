"""The ``birnn`` kind: a bidirectional GRU over whole reviews, pooled, on pretrained word vectors.

What it changes from the classic, and why (the measured effect of each: BENCHMARKS.md):

- **whole reviews**: up to ``maxlen`` (the ``strong`` preset: 400) tokens, the last ones of a
  longer review, instead of the last 80 (the median review has 175);
- **length buckets**: batches hold reviews of similar length (sorted with some noise, batch order
  shuffled every epoch), padded to the next multiple of :data:`BUCKET`, so a short review does
  not pay for the longest; the padding is masked (``birnn_net.py``);
- **bidirectional GRU, max+mean pooling** over every word's state, not the last state;
- **pretrained word vectors** (``word_vectors.py``): word2vec on ``train/unsup`` and the training
  texts (``pretrain_epochs`` > 0);
- **early stopping** on a validation split of the training reviews (``validation_split``,
  ``patience``; the best epoch's weights are kept) and Platt scaling fitted there when its ECE is
  above 0.02 (``calibration="auto"``). The test set is measured once, at the end.

The bundle holds ``model.keras`` (Keras's own layers plus the weightless ``MaskedPooling``,
loaded with ``safe_mode`` and without compiling: no optimizer), ``vocabulary.json`` and
``calibration.json``. Explanations are occlusion: each token is removed in turn (its id becomes
padding, which the network skips) and the review scored again.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.special import expit, logit

from ..calibration import Platt, brier_score, expected_calibration_error
from ..keras_import import keras
from ..text import START, Vocabulary, tokenize
from . import KindModel

MODEL, VOCABULARY, CALIBRATION = "model.keras", "vocabulary.json", "calibration.json"
BUCKET = 64  # batch widths are multiples of this (and maxlen): a few shapes for XLA to compile
PREDICT_BATCH = 256
ECE_LIMIT = 0.02


def batch_rows(lengths: np.ndarray, batch_size: int, rng=None) -> list[np.ndarray]:
    """Indices of each batch: by length, so a batch's reviews are alike in length. ``rng``:
    lengths get noise of +-10% first and the batches come out in random order (training)."""
    keys = lengths.astype(np.float64)
    if rng is not None:
        keys = keys * rng.uniform(0.9, 1.1, len(keys))
    order = np.argsort(keys, kind="stable")
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def pad_rows(sequences: Sequence[np.ndarray], rows: np.ndarray, size: int, maxlen: int):
    """``token ids <int32>[size, width]``: the reviews ``rows``, words first, then padding;
    ``width`` the longest rounded up to :data:`BUCKET` (at most ``maxlen``). Rows past
    ``len(rows)`` are all padding."""
    longest = max((len(sequences[i]) for i in rows), default=1)
    width = min(maxlen, -(-max(longest, 1) // BUCKET) * BUCKET)
    out = np.zeros((size, width), dtype=np.int32)
    for r, i in enumerate(rows):
        out[r, :len(sequences[i])] = sequences[i]
    return out


class Batches(keras.utils.PyDataset):
    """Length-bucketed batches ``(ids, labels, weights)``; a short last batch is filled with
    padding rows of weight 0, so every batch has the same number of rows."""

    def __init__(self, sequences, labels, batch_size, maxlen, seed=None):
        super().__init__()
        self.sequences, self.labels = sequences, np.asarray(labels, np.float32)
        self.batch_size, self.maxlen = batch_size, maxlen
        self.lengths = np.array([len(s) for s in sequences])
        self.rng = None if seed is None else np.random.default_rng(seed)
        self.on_epoch_end()

    def on_epoch_end(self):
        self.batches = batch_rows(self.lengths, self.batch_size, self.rng)

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, index):
        rows = self.batches[index]
        x = pad_rows(self.sequences, rows, self.batch_size, self.maxlen)
        y = np.zeros(self.batch_size, np.float32)
        y[:len(rows)] = self.labels[rows]
        w = (np.arange(self.batch_size) < len(rows)).astype(np.float32)
        return x, y, w


class BiRNN(KindModel):
    kind = "birnn"
    files = (VOCABULARY, MODEL)
    explain_methods = ("occlusion",)

    def __init__(self, model: keras.Model, vocabulary: Vocabulary, config,
                 calibration: Platt | None = None):
        self.model, self.vocabulary, self.config = model, vocabulary, config
        self.calibration = calibration or Platt()
        self.validation = None  # after train: (held-out row indices, their raw logits)

    # --- text to ids -------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> list[np.ndarray]:
        return self.encode_tokens([tokenize(t) for t in texts])

    def encode_tokens(self, token_lists) -> list[np.ndarray]:
        """Each review's ids ``[start, words...]``, its last ``maxlen`` when longer."""
        keep = self.config.maxlen
        return [np.asarray(self.vocabulary.encode_tokens(t)[-keep:], np.int32)
                for t in token_lists]

    # --- scoring -----------------------------------------------------------------------------
    def raw_logits(self, sequences: Sequence[np.ndarray]) -> np.ndarray:
        """The network's logit of each review, before calibration, in the order given."""
        out = np.empty(len(sequences), np.float64)
        lengths = np.array([len(s) for s in sequences])
        for rows in batch_rows(lengths, PREDICT_BATCH):
            n = len(rows)  # a few fixed batch sizes: XLA compiles each shape once
            size = PREDICT_BATCH if n == PREDICT_BATCH else 1 << (n - 1).bit_length()
            x = pad_rows(sequences, rows, size, self.config.maxlen)
            p = np.asarray(self.model.predict_on_batch(x), np.float64)[:len(rows), 0]
            out[rows] = logit(np.clip(p, 1e-7, 1 - 1e-7))
        return out

    def logits(self, sequences) -> np.ndarray:
        return self.calibration.logit(self.raw_logits(sequences))

    def predict_encoded(self, sequences) -> np.ndarray:
        return expit(self.logits(sequences)).astype(np.float32)

    # --- explanations ------------------------------------------------------------------------
    def occlusion(self, texts: Sequence[str]) -> list[tuple]:
        """Per review ``(tokens, logit, deltas, first_seen)``: ``deltas[k] = logit(review) -
        logit(review without token k)``, 0 for the ``first_seen`` tokens cut off by maxlen.
        All the rows of all the reviews are scored together."""
        token_lists = [tokenize(t) for t in texts]
        sequences = self.encode_tokens(token_lists)
        rows, spans = [], []
        for seq in sequences:
            lead = int(len(seq) > 0 and seq[0] == START)  # the start marker is no token
            spans.append((len(rows), len(seq) - lead))
            rows.append(seq)
            rows.extend(np.delete(seq, j) for j in range(lead, len(seq)))
        scores = self.logits(rows)
        out = []
        for tokens, (start, n_seen) in zip(token_lists, spans, strict=True):
            first_seen = len(tokens) - n_seen
            deltas = np.zeros(len(tokens))
            deltas[first_seen:] = scores[start] - scores[start + 1:start + 1 + n_seen]
            out.append((tokens, float(scores[start]), deltas, first_seen))
        return out

    def explain(self, texts: Sequence[str], method: str = "occlusion") -> list:
        """Occlusion in probability: P(review) - P(review without the token)."""
        from ..classifier import Explanation, TokenContribution, prediction

        explanations = []
        for tokens, z, deltas, first_seen in self.occlusion(texts):
            p = float(expit(z))
            contributions = p - expit(z - deltas)
            contributions[:first_seen] = 0.0
            explanations.append(Explanation(
                prediction(np.float32(p)),
                [TokenContribution(t, float(c), i >= first_seen)
                 for i, (t, c) in enumerate(zip(tokens, contributions, strict=True))]))
        return explanations

    # --- training ----------------------------------------------------------------------------
    @classmethod
    def train(cls, train_set, test_set, config, *, verbose="auto", callbacks=(),
              unsup_source=None):
        from .birnn_training import train

        return train(cls, train_set, test_set, config, verbose=verbose, callbacks=callbacks,
                     unsup_source=unsup_source)

    # --- bundle ------------------------------------------------------------------------------
    def content(self):
        yield self.vocabulary.to_json()
        yield from self.model.get_weights()
        yield self.calibration.to_json()

    def save(self, folder: Path) -> None:
        self.model.save(folder / MODEL)
        self.vocabulary.save(folder / VOCABULARY)
        (folder / CALIBRATION).write_text(json.dumps(self.calibration.to_json()),
                                          encoding="utf-8")

    @classmethod
    def load(cls, folder: str | os.PathLike, config) -> BiRNN:
        folder = Path(folder)
        vocabulary = Vocabulary.load(folder / VOCABULARY)
        model = keras.saving.load_model(folder / MODEL, compile=False, safe_mode=True)
        calibration = None
        if (folder / CALIBRATION).is_file():
            calibration = Platt.from_json(json.loads((folder / CALIBRATION).read_text("utf-8")))
        return cls(model, vocabulary, config, calibration)


def test_figures(labels, probabilities) -> dict:
    """The test figures every kind reports."""
    from ..evaluate import compute_metrics

    test = compute_metrics(labels, probabilities)
    return {"test_accuracy": test["accuracy"], "test_loss": test["loss"],
            "test_roc_auc": test["roc_auc"], "test_reviews": len(labels),
            "test_ece": expected_calibration_error(labels, probabilities),
            "test_brier": brier_score(labels, probabilities)}

