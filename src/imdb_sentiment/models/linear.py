"""The ``nbsvm`` kind: NBSVM (Wang & Manning 2012), a linear model on naive-Bayes-scaled n-grams.

Features are binary: 1 where a review contains an n-gram of 1..``ngrams`` tokens (the project's
:func:`~imdb_sentiment.text.tokenize`; see ``ngrams.py``). Each column is scaled by its
naive-Bayes log-count ratio ``r = log((p / |p|_1) / (q / |q|_1))``, with ``p`` and ``q`` the
counts of reviews holding the n-gram among positive and negative training reviews (+1 each), and
a logistic regression (or linear SVM) of scikit-learn's liblinear is fitted on ``x * r``.
Interpolation (``beta`` < 1) pulls the weights towards their mean magnitude,
``w <- (1 - beta) * mean|w| + beta * w``, as in the paper.

The decision value of a review is ``d = sum_j w_j r_j x_j + bias``, so the contribution of each
n-gram it contains is exactly ``w_j r_j`` (times the calibration ``scale``, see
``calibration.Platt``). ``explain`` shares each n-gram's contribution equally among the token
positions it covers, so a review's token contributions add up to
``logit(P(review)) - logit(P(empty review))``. The bundle holds ``nbsvm.npz`` (weights, r,
bias, and each n-gram's word ids, which load faster than splitting the texts; read with
``allow_pickle=False``), ``ngrams.json`` (the words and the n-grams as text, in column order) and
``calibration.json``.
"""

from __future__ import annotations

import json
import os
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.special import expit

from ..calibration import Platt, expected_calibration_error
from ..text import tokenize
from . import KindModel
from .ngrams import NgramVocabulary

WEIGHTS, NGRAMS, CALIBRATION = "nbsvm.npz", "ngrams.json", "calibration.json"
LOSSES = ("logistic", "svm")  # LogisticRegression or LinearSVC, both liblinear
ECE_LIMIT = 0.02  # calibration="auto" fits Platt scaling when the validation ECE is above this


def nb_ratio(features: sparse.csr_matrix, labels: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """``r <float64>[columns]``: log of how much likelier each n-gram is in positive reviews."""
    labels = np.asarray(labels)
    p = alpha + np.asarray(features[labels == 1].sum(axis=0)).ravel()
    q = alpha + np.asarray(features[labels == 0].sum(axis=0)).ravel()
    return np.log(p / p.sum()) - np.log(q / q.sum())


def fit_linear(features: sparse.csr_matrix, labels: np.ndarray, r: np.ndarray, *, c: float,
               loss: str = "logistic", seed: int = 0) -> tuple[np.ndarray, float]:
    """Weights and bias of liblinear fitted on ``features * r`` (before interpolation)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    scaled = features @ sparse.diags(r)
    if loss == "logistic":
        model = LogisticRegression(C=c, solver="liblinear", dual=True, random_state=seed,
                                   max_iter=1000)
    else:
        model = LinearSVC(C=c, dual=True, random_state=seed, max_iter=5000)
    model.fit(scaled, np.asarray(labels))
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])


def interpolate(weights: np.ndarray, beta: float) -> np.ndarray:
    """``(1 - beta) * mean|w| + beta * w``: Wang & Manning's interpolation (1.0: none)."""
    return (1.0 - beta) * np.abs(weights).mean() + beta * weights


class NBSVM(KindModel):
    kind = "nbsvm"
    files = (WEIGHTS, NGRAMS)
    explain_methods = ("exact",)

    def __init__(self, vocabulary: NgramVocabulary, r: np.ndarray, weights: np.ndarray,
                 bias: float, config, calibration: Platt | None = None):
        if not (len(vocabulary) == len(r) == len(weights)):
            raise ValueError(f"{len(vocabulary)} n-grams, {len(r)} ratios, {len(weights)} weights")
        self.vocabulary, self.config = vocabulary, config
        self.r, self.weights, self.bias = r, weights, float(bias)
        self.calibration = calibration or Platt()
        self.model = self  # the weights are the model
        self._effect = weights * r  # each n-gram's term in the decision value

    @classmethod
    def fit(cls, token_lists: Sequence[list[str]], labels: np.ndarray, config,
            calibration: Platt | None = None) -> NBSVM:
        """Fit on tokenized reviews with ``config``'s ``ngrams``, ``min_df``, ``c``, ``beta``
        and ``linear_loss``."""
        vocabulary, features = NgramVocabulary.fit(token_lists, config.ngrams, config.min_df)
        r = nb_ratio(features, labels)
        weights, bias = fit_linear(features, labels, r, c=config.c, loss=config.linear_loss,
                                   seed=config.seed)
        return cls(vocabulary, r, interpolate(weights, config.beta), bias, config, calibration)

    @classmethod
    def train(cls, train_set, test_set, config, *, verbose="auto", unsup_source=None):
        """Fit on ``train_set`` and measure ``test_set`` once; returns a Classifier.

        With ``config.validation_split`` > 0 a model is first fitted on the rest of the
        training reviews and scored on the held-out part (accuracy, ECE); Platt scaling is fitted
        there (``calibration``: "platt", or "auto" when that ECE is above ``ECE_LIMIT``). The
        model kept is then refitted on all training reviews with the same settings."""
        from ..calibration import brier_score
        from ..classifier import Classifier
        from ..evaluate import compute_metrics

        say = print if verbose else (lambda *_, **__: None)
        start = time.perf_counter()
        tokens, labels = [tokenize(t) for t in train_set.texts], train_set.labels
        metrics, calibration = {}, None
        if config.validation_split:
            order = np.random.default_rng(config.seed).permutation(len(tokens))
            n_val = max(1, round(len(tokens) * config.validation_split))
            held, fit = order[:n_val], order[n_val:]
            model = cls.fit([tokens[i] for i in fit], labels[fit], config)
            scores = model.decision(model.vocabulary.transform([tokens[i] for i in held]))
            ece = expected_calibration_error(labels[held], expit(scores))
            metrics.update(val_reviews=int(n_val), val_ece=ece,
                           val_accuracy=float(((scores >= 0) == labels[held]).mean()))
            say(f"validation: accuracy {metrics['val_accuracy']:.4f}, ECE {ece:.4f} "
                f"({n_val} reviews)", flush=True)
            if config.calibration == "platt" or (config.calibration == "auto"
                                                 and ece > ECE_LIMIT):
                calibration = Platt.fit(scores, labels[held])
                metrics["calibration"] = calibration.to_json()
        model = cls.fit(tokens, labels, config, calibration)
        metrics["train_seconds"] = time.perf_counter() - start
        say(f"fitted {len(model.vocabulary)} n-grams in {metrics['train_seconds']:.1f} s",
            flush=True)
        probabilities = model.predict_proba(test_set.texts)
        test = compute_metrics(test_set.labels, probabilities)
        metrics.update(test_accuracy=test["accuracy"], test_loss=test["loss"],
                       test_roc_auc=test["roc_auc"], test_reviews=len(test_set),
                       test_ece=expected_calibration_error(test_set.labels, probabilities),
                       test_brier=brier_score(test_set.labels, probabilities))
        return Classifier(model, metrics=metrics)

    def encode(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """``features <float64>[n, n-grams]`` (CSR), 1 where the review holds the n-gram."""
        return self.vocabulary.transform([tokenize(t) for t in texts])

    def decision(self, features: sparse.csr_matrix) -> np.ndarray:
        """The raw decision value ``w . (r * x) + bias``, before calibration."""
        return features @ self._effect + self.bias

    def logit(self, features: sparse.csr_matrix) -> np.ndarray:
        return self.calibration.logit(self.decision(features))

    def predict_encoded(self, features: sparse.csr_matrix) -> np.ndarray:
        return expit(self.logit(features)).astype(np.float32)

    def ngram_contributions(self, text: str) -> list[tuple[str, float]]:
        """Every vocabulary n-gram in ``text`` with its exact term in the (calibrated) logit,
        strongest first. They add up to ``logit(P(text)) - logit(P(""))``."""
        columns = np.flatnonzero(self.encode([text]).toarray()[0])
        terms = self.calibration.scale * self._effect[columns]
        order = np.argsort(-np.abs(terms), kind="stable")
        return [(self.vocabulary.ngrams[columns[i]], float(terms[i])) for i in order]

    def explain(self, texts: Sequence[str], method: str = "exact") -> list:
        from ..classifier import Explanation, Prediction, TokenContribution
        from ..config import LABELS

        token_lists = [tokenize(t) for t in texts]
        rows, columns, starts, sizes = self.vocabulary.positions(token_lists)
        # a binary feature counts once however often its n-gram occurs: split its term over
        # every occurrence, then over the tokens of each occurrence
        pair = rows * max(1, len(self.vocabulary)) + columns
        _, inverse, occurrences = np.unique(pair, return_inverse=True, return_counts=True)
        share = (self.calibration.scale * self._effect[columns]
                 / (occurrences[inverse] * sizes))
        first = np.cumsum([len(t) for t in token_lists]) - [len(t) for t in token_lists]
        flat = np.zeros(sum(len(t) for t in token_lists), dtype=np.float64)
        for k in range(1, int(sizes.max(initial=0)) + 1):
            np.add.at(flat, (first[rows] + starts + k - 1)[sizes >= k], share[sizes >= k])
        probabilities = expit(self.logit(self.vocabulary.transform(token_lists)))
        out = []
        for tokens, start, p in zip(token_lists, first, probabilities, strict=True):
            out.append(Explanation(
                Prediction(LABELS[int(p >= 0.5)], float(np.float32(p))),
                [TokenContribution(t, float(c), True)
                 for t, c in zip(tokens, flat[start:start + len(tokens)], strict=True)]))
        return out

    def content(self):
        yield self.vocabulary.to_json()
        yield from (self.r, self.weights, np.float64(self.bias))
        yield self.calibration.to_json()

    def save(self, folder: Path) -> None:
        np.savez(folder / WEIGHTS, weights=self.weights, r=self.r, bias=np.float64(self.bias),
                 ngram_words=self.vocabulary.digits.astype(np.int32))
        _write_json(folder / NGRAMS, self.vocabulary.to_json())
        _write_json(folder / CALIBRATION, self.calibration.to_json())

    @classmethod
    def load(cls, folder: str | os.PathLike, config) -> NBSVM:
        from ..bundle import _read_json  # size-limited, one-line errors naming the file

        folder = Path(folder)
        try:
            with np.load(folder / WEIGHTS, allow_pickle=False) as arrays:
                weights, r, bias = arrays["weights"], arrays["r"], float(arrays["bias"])
                digits = arrays["ngram_words"]
        except (zipfile.BadZipFile, ValueError, KeyError, OSError) as error:
            # np.load reads bytes that are no .npz as a pickle, and refuses: say what it is
            reason = "not an .npz of arrays" if "pickle" in str(error) else error
            raise ValueError(f"{WEIGHTS} cannot be read ({reason})") from None
        if not (np.isfinite(weights).all() and np.isfinite(r).all() and np.isfinite(bias)):
            raise ValueError(f"{WEIGHTS} holds weights that are not finite numbers (NaN or inf)")
        try:
            vocabulary = NgramVocabulary.from_json(_read_json(folder / NGRAMS), digits)
            calibration = (Platt.from_json(_read_json(folder / CALIBRATION))
                           if (folder / CALIBRATION).is_file() else None)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValueError(f"{NGRAMS} or {CALIBRATION} is not what this tool wrote "
                             f"({error})") from None
        return cls(vocabulary, r.astype(np.float64), weights.astype(np.float64), bias, config,
                   calibration)


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))
