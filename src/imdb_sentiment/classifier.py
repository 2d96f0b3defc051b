"""A trained model with its vocabulary: raw text in, label and probability out.

A string gives one answer and a list of strings gives a list, batched internally. Text is
tokenized exactly as in training (:func:`imdb_sentiment.text.tokenize`). A review of ``maxlen``
tokens or more is judged on its last ``maxlen`` tokens: the 'pre' truncation of training keeps the
last ``maxlen`` ids of ``[start, tokens...]``, so the start marker goes too. ``explain`` marks the
tokens the model did not see. Empty text is valid: the model sees only the start marker and gives
its prior, and ``explain`` returns no tokens.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import NamedTuple, overload

import keras
import numpy as np

from .config import LABELS, Config
from .errors import UserError
from .text import PAD, Vocabulary, pad, tokenize

PREDICT_BATCH = 256  # rows per forward pass; smaller batches are padded to a power of two
EXPLAIN_METHODS = ("occlusion", "integrated_gradients")


class Prediction(NamedTuple):
    label: str  # "negative" or "positive"
    probability: float  # P(positive), whatever the label


class TokenContribution(NamedTuple):
    token: str
    # occlusion: P(positive) with the token minus P(positive) with it replaced by padding;
    # integrated gradients: its share of P(review) - P(review with every seen token hidden)
    contribution: float
    seen: bool  # False for tokens cut off by maxlen (their contribution is 0.0)


class Explanation(NamedTuple):
    prediction: Prediction
    tokens: list[TokenContribution]  # in reading order

    def top(self, k: int = 5) -> list[TokenContribution]:
        """The ``k`` tokens that moved the prediction most, either way."""
        return sorted(self.tokens, key=lambda t: -abs(t.contribution))[:k]


class Classifier:
    def __init__(self, model: keras.Model, vocabulary: Vocabulary, config: Config,
                 history: dict | None = None, metrics: dict | None = None):
        self.model, self.vocabulary, self.config = model, vocabulary, config
        self.history, self.metrics = history, metrics  # from training, when known
        self.labels = LABELS
        self._gradients = None  # built on the first integrated-gradients explanation

    @classmethod
    def load(cls, path: str | os.PathLike) -> Classifier:
        from .bundle import load

        return load(path)

    def save(self, path: str | os.PathLike, *, force: bool = False):
        from .bundle import save

        return save(self, path, force=force)

    def encode(self, texts: Iterable[str]) -> np.ndarray:
        """``token ids <int32>[n, maxlen]``, as the model was trained on."""
        return self.vocabulary.encode_batch(texts, self.config.maxlen)

    def predict_ids(self, ids: np.ndarray) -> np.ndarray:
        """``token ids <int32>[n, maxlen]`` -> ``P(positive) <float32>[n]``."""
        out = np.empty(len(ids), dtype=np.float32)
        for start in range(0, len(ids), PREDICT_BATCH):
            chunk = ids[start : start + PREDICT_BATCH]
            rows = len(chunk)
            size = PREDICT_BATCH if rows == PREDICT_BATCH else 1 << (rows - 1).bit_length()
            if size != rows:  # a few fixed shapes keep XLA from compiling every batch size
                chunk = np.concatenate([chunk, np.zeros((size - rows, chunk.shape[1]), np.int32)])
            out[start : start + rows] = np.asarray(self.model.predict_on_batch(chunk))[:rows, 0]
        return out

    def predict_encoded(self, ids: np.ndarray) -> list[Prediction]:
        """``token ids <int32>[n, maxlen]`` (from :meth:`encode`) -> n predictions."""
        return [self._prediction(p) for p in self.predict_ids(ids)]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """``P(positive) <float32>[len(texts)]``."""
        return self.predict_ids(self.encode(texts))

    @overload
    def predict(self, texts: str) -> Prediction: ...
    @overload
    def predict(self, texts: Sequence[str]) -> list[Prediction]: ...

    def predict(self, texts):
        if isinstance(texts, str):
            return self.predict([texts])[0]
        return [self._prediction(p) for p in self.predict_proba(list(texts))]

    def _prediction(self, probability: float) -> Prediction:
        return Prediction(self.labels[int(probability >= 0.5)], float(probability))

    @overload
    def explain(self, texts: str, *, method: str = ...) -> Explanation: ...
    @overload
    def explain(self, texts: Sequence[str], *, method: str = ...) -> list[Explanation]: ...

    def explain(self, texts, *, method: str = "occlusion"):
        """How much each token pushed the prediction towards positive (>0) or negative (<0).

        ``occlusion``: every seen token is replaced by padding in turn and the review scored
        again; a review of n seen tokens takes ``n + 1`` rows, and the rows of all the reviews go
        through the model together. ``integrated_gradients`` (JAX backend) integrates the
        gradient on the path from the review with all its seen tokens hidden to the review
        itself; the contributions then add up to the difference of the two probabilities.
        A string gives one :class:`Explanation`, a list gives a list.
        """
        if isinstance(texts, str):
            return self.explain([texts], method=method)[0]
        if method not in EXPLAIN_METHODS:
            raise UserError(f"explain method must be one of {', '.join(EXPLAIN_METHODS)}")
        token_lists = [tokenize(text) for text in texts]
        maxlen = self.config.maxlen
        windows = pad([self.vocabulary.encode_tokens(t) for t in token_lists], maxlen)
        # the window keeps the last maxlen ids of [start, tokens...]: a review of maxlen tokens
        # or more loses its start marker and the model sees its last maxlen tokens
        n_seen = np.array([min(len(t), maxlen) for t in token_lists], dtype=np.int64)
        explain_windows = (self._occlusion if method == "occlusion"
                           else self._integrated_gradients)
        probabilities, contributions = explain_windows(windows, n_seen)
        return [self._explanation(tokens, p, row[maxlen - k:])
                for tokens, p, row, k in zip(token_lists, probabilities, contributions, n_seen,
                                             strict=True)]

    def _occlusion(self, windows: np.ndarray, n_seen: np.ndarray):
        """``windows <int32>[n, maxlen]``, ``n_seen <int64>[n]`` -> ``P(positive) <float32>[n]``
        and ``contributions <float32>[n, maxlen]`` (0 where no seen token is)."""
        maxlen = windows.shape[1]
        # rows <int32>[sum(n_seen + 1), maxlen]: per review, the window itself, then one row per
        # seen token with that token's column set to padding.
        sizes = n_seen + 1
        starts = np.cumsum(sizes) - sizes
        review = np.repeat(np.arange(len(windows)), sizes)
        k = np.arange(sizes.sum()) - starts[review]  # 0 for the window, j for the j-th seen token
        rows = windows[review]
        occluded = k > 0
        columns = (maxlen - n_seen[review] + k - 1)[occluded]
        rows[occluded, columns] = PAD
        scores = self.predict_ids(rows)
        probabilities = scores[starts]
        contributions = np.zeros(windows.shape, dtype=np.float32)
        contributions[review[occluded], columns] = (probabilities[review] - scores)[occluded]
        return probabilities, contributions

    def _integrated_gradients(self, windows: np.ndarray, n_seen: np.ndarray):
        """Same shapes as :meth:`_occlusion`."""
        if self._gradients is None:
            from .gradients import IntegratedGradients

            self._gradients = IntegratedGradients(self.model)
        seen = np.arange(windows.shape[1])[None, :] >= windows.shape[1] - n_seen[:, None]
        baselines = np.where(seen, PAD, windows).astype(np.int32)
        return self.predict_ids(windows), self._gradients(windows, baselines)

    def _explanation(self, tokens: list[str], probability: float,
                     seen_contributions: np.ndarray) -> Explanation:
        """``seen_contributions <float32>[n_seen]``: those of the last n_seen tokens."""
        first_seen = len(tokens) - len(seen_contributions)
        contributions = np.zeros(len(tokens), dtype=np.float32)
        contributions[first_seen:] = seen_contributions
        return Explanation(
            self._prediction(probability),
            [TokenContribution(t, float(c), i >= first_seen)
             for i, (t, c) in enumerate(zip(tokens, contributions, strict=True))],
        )
