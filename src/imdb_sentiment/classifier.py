"""A trained model of any kind with what it needs to read text: raw text in, label and
probability out.

A string gives one answer and a list of strings gives a list, batched internally. Scoring and
explaining are the model kind's (``models/``): the recurrent kind reads the last ``maxlen``
tokens of a review and marks the ones it did not see; the ``nbsvm`` kind reads every n-gram.
Empty text is valid: a model gives its prior, and ``explain`` returns no tokens.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Sequence
from typing import NamedTuple, overload

import numpy as np

from .config import LABELS
from .errors import UserError

# every kind's methods (models/*.py); the first of a kind's own is its default
EXPLAIN_METHODS = ("occlusion", "integrated_gradients", "exact", "weighted_sum")


class Prediction(NamedTuple):
    label: str  # "negative" or "positive"
    probability: float  # P(positive), whatever the label


class TokenContribution(NamedTuple):
    token: str
    # occlusion: P(positive) with the token minus P(positive) with it replaced by padding;
    # integrated gradients: its share of P(review) - P(review with every seen token hidden);
    # exact (nbsvm): its share of the logit terms of the n-grams that hold it
    contribution: float
    seen: bool  # False for tokens cut off by maxlen (their contribution is 0.0)


class Explanation(NamedTuple):
    prediction: Prediction
    tokens: list[TokenContribution]  # in reading order

    def top(self, k: int = 5) -> list[TokenContribution]:
        """The ``k`` tokens that moved the prediction most, either way."""
        return sorted(self.tokens, key=lambda t: -abs(t.contribution))[:k]


THRESHOLD = 0.5
NEUTRAL = "neutral"  # the label of a probability inside the neutral band, when one is asked for


def prediction(probability: float, threshold: float = THRESHOLD,
               neutral: tuple[float, float] | None = None) -> Prediction:
    """The label at ``threshold`` (positive from it on), or ``"neutral"`` when ``neutral`` =
    ``(low, high)`` is given and ``low <= probability <= high``; with the probability."""
    if neutral is not None and neutral[0] <= probability <= neutral[1]:
        return Prediction(NEUTRAL, float(probability))
    return Prediction(LABELS[int(probability >= threshold)], float(probability))


class Classifier:
    """``Classifier(kind_model)`` for any kind (see ``models/``), or, as before kinds existed,
    ``Classifier(keras_model, vocabulary, config)`` for the recurrent kind."""

    def __init__(self, model, vocabulary=None, config=None,
                 history: dict | None = None, metrics: dict | None = None):
        from .models import KindModel

        if not isinstance(model, KindModel):
            from .models.rnn import RecurrentModel

            model = RecurrentModel(model, vocabulary, config)
        self.kind_model = model
        self.cut = (THRESHOLD, None)  # threshold and neutral band of the labels (with_cut)
        self.history, self.metrics = history, metrics  # from training, when known
        self.data = None  # what it was trained and measured on (labeled.data_record), when known
        self.labels = LABELS

    # the kind's own objects: a Keras model and word ids, or linear weights and n-grams
    kind = property(lambda self: self.kind_model.kind)
    model = property(lambda self: self.kind_model.model)
    vocabulary = property(lambda self: self.kind_model.vocabulary)
    config = property(lambda self: self.kind_model.config)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Classifier:
        from .bundle import load

        return load(path)

    def save(self, path: str | os.PathLike, *, force: bool = False):
        from .bundle import save

        return save(self, path, force=force)

    def encode(self, texts: Iterable[str]):
        """The kind's input: ``token ids <int32>[n, maxlen]`` for the recurrent kind."""
        return self.kind_model.encode(list(texts))

    def predict_ids(self, ids) -> np.ndarray:
        """The kind's input (see :meth:`encode`) -> ``P(positive) <float32>[n]``."""
        return self.kind_model.predict_encoded(ids)

    def predict_encoded(self, ids) -> list[Prediction]:
        """The kind's input (see :meth:`encode`) -> predictions at the cut of :meth:`with_cut`."""
        return [prediction(p, *self.cut) for p in self.predict_ids(ids)]

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """``P(positive) <float32>[len(texts)]``."""
        return self.kind_model.predict_proba(list(texts))

    def with_cut(self, threshold: float = THRESHOLD,
                 neutral: tuple[float, float] | None = None) -> Classifier:
        """This classifier labelling at ``threshold`` (positive from it on), and "neutral"
        inside ``neutral = (low, high)`` (ends included), in ``predict`` and ``explain``."""
        if not 0.0 <= threshold <= 1.0:
            raise UserError("the threshold must be in [0, 1]")
        if neutral is not None and not 0.0 <= neutral[0] <= neutral[1] <= 1.0:
            raise UserError("the neutral band LOW:HIGH needs 0 <= LOW <= HIGH <= 1")
        other = copy.copy(self)
        other.cut = (threshold, neutral)
        return other

    @overload
    def predict(self, texts: str) -> Prediction: ...
    @overload
    def predict(self, texts: Sequence[str]) -> list[Prediction]: ...

    def predict(self, texts):
        """Labels at 0.5 (positive from 0.5 on), or at the cut of :meth:`with_cut`."""
        if isinstance(texts, str):
            return self.predict([texts])[0]
        return [prediction(p, *self.cut) for p in self.predict_proba(list(texts))]

    @overload
    def explain(self, texts: str, *, method: str | None = ...) -> Explanation: ...
    @overload
    def explain(self, texts: Sequence[str], *, method: str | None = ...) -> list[Explanation]: ...

    def explain(self, texts, *, method: str | None = None):
        """How much each token pushed the prediction towards positive (>0) or negative (<0).

        ``method`` is one of the kind's ``explain_methods`` (None: its first). Recurrent:
        ``occlusion`` (each seen token replaced by padding in turn, all rows in one batch) or
        ``integrated_gradients`` (JAX backend; the contributions add up to P(review) minus
        P(every seen token hidden)). nbsvm: ``exact``, each n-gram's term in the logit shared
        among its tokens; they add up to logit(P(review)) - logit(P(empty review)).
        A string gives one :class:`Explanation`, a list gives a list.
        """
        if isinstance(texts, str):
            return self.explain([texts], method=method)[0]
        methods = self.kind_model.explain_methods
        method = method or methods[0]
        if method not in methods:
            raise UserError(f"{self.kind} models explain by {', '.join(methods)}, "
                            f"not {method}")
        explanations = self.kind_model.explain(list(texts), method)
        if self.cut != (THRESHOLD, None):
            explanations = [e._replace(prediction=prediction(e.prediction.probability, *self.cut))
                            for e in explanations]
        return explanations
