"""The ``ensemble`` kind (the ``best`` preset): the birnn model and nbsvm, stacked on validation.

Both members are fitted on the same reviews: the training split minus the validation rows drawn
with ``seed`` (``birnn_training.split``; the birnn member stops early on those rows). Each member
scores the validation reviews with its raw logit (before any calibration of its own), and a
logistic regression of the labels on the two logits gives the combination

    logit(P) = w_birnn * z_birnn + w_nbsvm * z_nbsvm + bias

fitted on the validation split only (:func:`fit_weights`), so its output is calibrated there
too. nbsvm is then fitted again on every training review, validation rows included, with the
same settings (seconds, where the birnn member would take minutes): on validation, refitting it
on the rows that fitted the weights lowered the stacked log loss for each of 3 seeds
(``python -m bench.best_members --refit``). The test set is scored once, at the end.

Explanations are the same weighted sum, in logit units: for each token,
``w_birnn * (z_birnn(review) - z_birnn(review without the token)) + w_nbsvm * (the token's share
of nbsvm's exact n-gram terms)``, shown as a change of P like the other kinds (P(review) minus
P with that logit change undone). A token past the birnn member's ``maxlen`` gets only nbsvm's
part.

The bundle holds ``ensemble.json`` (the weights and each member's kind and settings) and each
member's own files in a subfolder (``birnn/``, ``nbsvm/``), read by that member's kind: no code
runs on loading, and no optimizer is made.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy.special import expit

from ..text import tokenize
from . import KindModel, kind_class

ENSEMBLE = "ensemble.json"
MEMBERS = ("birnn", "nbsvm")


def fit_weights(logits: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float]:
    """``(weights <[members]>, bias)``: logistic regression of ``labels`` on the members'
    validation ``logits <[n, members]>`` (barely regularized: two weights, thousands of rows)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e4, max_iter=1000).fit(logits, np.asarray(labels))
    return model.coef_[0].astype(np.float64), float(model.intercept_[0])


def member_configs(config) -> dict:
    return {"birnn": replace(config, kind="birnn"),
            "nbsvm": replace(config, kind="nbsvm", calibration="none")}


class Ensemble(KindModel):
    kind = "ensemble"
    files = (ENSEMBLE,)
    explain_methods = ("weighted_sum",)

    def __init__(self, members: dict, weights: np.ndarray, bias: float, config):
        self.members, self.config = members, config
        self.weights, self.bias = np.asarray(weights, np.float64), float(bias)
        self.model = self
        self.vocabulary = members["birnn"].vocabulary

    def encode(self, texts):
        return list(texts)  # each member encodes for itself

    def member_logits(self, texts) -> np.ndarray:
        """``<[n, members]>``: each member's raw logit."""
        birnn, nbsvm = self.members["birnn"], self.members["nbsvm"]
        return np.stack([birnn.raw_logits(birnn.encode(texts)),
                         nbsvm.decision(nbsvm.encode(texts))], axis=1)

    def predict_encoded(self, texts) -> np.ndarray:
        return expit(self.member_logits(texts) @ self.weights + self.bias).astype(np.float32)

    def explain(self, texts, method: str = "weighted_sum") -> list:
        from ..classifier import Explanation, TokenContribution, prediction

        birnn, nbsvm = self.members["birnn"], self.members["nbsvm"]
        occluded = birnn.occlusion(texts)
        exact = nbsvm.explain(texts, "exact")  # calibration none: logit terms of the decision
        nb_logits = nbsvm.decision(nbsvm.encode(texts))
        out = []
        for (tokens, z_birnn, deltas, _), linear, z_nb in zip(occluded, exact, nb_logits,
                                                                strict=True):
            z = self.weights[0] * z_birnn + self.weights[1] * z_nb + self.bias
            terms = self.weights[0] * deltas + self.weights[1] * np.array(
                [t.contribution for t in linear.tokens])
            p = float(expit(z))
            out.append(Explanation(
                prediction(np.float32(p)),
                [TokenContribution(t, float(p - expit(z - d)), True)
                 for t, d in zip(tokens, terms, strict=True)]))
        return out

    @classmethod
    def train(cls, train_set, test_set, config, *, verbose="auto", birnn=None,
              unsup_source=None):
        """Fit both members on the same split (``birnn``: a Classifier of the birnn member
        already trained with ``config``'s birnn settings and seed, reused) and their weights
        on its validation rows, then nbsvm again on every training review; measure the test set
        once."""
        from ..classifier import Classifier
        from .birnn import test_figures
        from .birnn_training import split
        from .linear import NBSVM

        say = print if verbose else (lambda *_, **__: None)
        configs = member_configs(config)
        if birnn is None:
            birnn = kind_class("birnn").train(train_set, test_set, configs["birnn"],
                                              verbose=verbose, unsup_source=unsup_source)
        fit_rows, val_rows = split(len(train_set), config)
        val_rows_birnn, z_birnn = birnn.kind_model.validation
        if not np.array_equal(val_rows_birnn, val_rows):
            raise ValueError("the birnn member was trained on another validation split")
        start = time.perf_counter()
        tokens = [tokenize(t) for t in train_set.texts]
        labels = np.asarray(train_set.labels)
        nbsvm = NBSVM.fit([tokens[i] for i in fit_rows], labels[fit_rows], configs["nbsvm"])
        z_nbsvm = nbsvm.decision(nbsvm.vocabulary.transform([tokens[i] for i in val_rows]))
        nbsvm_seconds = time.perf_counter() - start
        weights, bias = fit_weights(np.stack([z_birnn, z_nbsvm], axis=1), labels[val_rows])
        start_refit = time.perf_counter()
        refitted = NBSVM.fit(tokens, labels, configs["nbsvm"])  # every training review
        nbsvm_seconds += time.perf_counter() - start_refit
        model = cls({"birnn": birnn.kind_model, "nbsvm": refitted}, weights, bias, config)
        val_p = expit(np.stack([z_birnn, z_nbsvm], axis=1) @ weights + bias)
        metrics = {
            "weights": dict(zip(MEMBERS, weights.tolist(), strict=True)), "bias": bias,
            "val_reviews": len(val_rows), "epoch": birnn.metrics.get("epoch"),
            "val_accuracy": float(((val_p >= 0.5) == labels[val_rows]).mean()),
            "member_val_accuracy": {"birnn": float(((z_birnn >= 0) == labels[val_rows]).mean()),
                                    "nbsvm": float(((z_nbsvm >= 0) == labels[val_rows]).mean())},
            # the birnn member's training (reused or not) + nbsvm + the weights
            "train_seconds": birnn.metrics.get("train_seconds", 0.0)
            + time.perf_counter() - start, "nbsvm_seconds": nbsvm_seconds,
        }
        say(f"ensemble weights {metrics['weights']} bias {bias:.3f}: validation accuracy "
            f"{metrics['val_accuracy']:.4f}", flush=True)
        if len(test_set):
            t0 = time.perf_counter()
            metrics.update(test_figures(test_set.labels, model.predict_proba(test_set.texts)),
                           test_seconds=time.perf_counter() - t0)
        return Classifier(model, history=birnn.history, metrics=metrics)

    def content(self):
        for name, member in self.members.items():
            yield name
            yield from member.content()
        yield from (self.weights, np.float64(self.bias))

    def save(self, folder: Path) -> None:
        for name, member in self.members.items():
            (folder / name).mkdir()
            member.save(folder / name)
        (folder / ENSEMBLE).write_text(json.dumps({
            "members": {name: {"kind": m.kind, "config": m.config.to_dict()}
                        for name, m in self.members.items()},
            "weights": self.weights.tolist(), "bias": self.bias}), encoding="utf-8")

    @classmethod
    def load(cls, folder: str | os.PathLike, config) -> Ensemble:
        from ..config import Config

        folder = Path(folder)
        meta = json.loads((folder / ENSEMBLE).read_text(encoding="utf-8"))
        if sorted(meta["members"]) != sorted(MEMBERS) or len(meta["weights"]) != len(MEMBERS):
            raise ValueError(f"{ENSEMBLE}: expected the members {', '.join(MEMBERS)}")
        members = {}
        for name in MEMBERS:
            kind, settings = meta["members"][name]["kind"], meta["members"][name]["config"]
            member = kind_class(kind)
            for file in member.files:
                if not (folder / name / file).is_file():
                    raise ValueError(f"member {name} has no {file}")
            members[name] = member.load(folder / name, Config.from_dict({**settings,
                                                                           "kind": kind}))
        return cls(members, np.array(meta["weights"], np.float64), float(meta["bias"]), config)
