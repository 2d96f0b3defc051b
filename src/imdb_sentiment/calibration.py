"""Are the probabilities right? Brier score, expected calibration error, and Platt scaling.

A classifier is calibrated when, of the reviews it gives P(positive) = 0.8, 80% are positive.
``expected_calibration_error`` measures the gap over 10 equal-width bins of P(positive):
``sum over bins of (reviews in bin / reviews) * |positives in bin / reviews in bin - mean P|``.
``Platt`` maps a model's raw score (its logit or decision value) ``d`` to
``P = sigmoid(scale * d + shift)``, both numbers fitted by logistic regression on a validation
split, so that a model whose scores are too confident (or not enough) says what it means.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

BINS = 10


def brier_score(labels, probabilities) -> float:
    """Mean squared distance between P(positive) and the 0/1 label (0 is perfect)."""
    labels, probabilities = _arrays(labels, probabilities)
    return float(np.mean((probabilities - labels) ** 2))


def reliability_bins(labels, probabilities, bins: int = BINS) -> dict:
    """Per bin of P(positive) (``bins`` equal widths over [0, 1]): ``edges``, ``count``,
    ``mean_probability`` and ``positive_rate`` (None where a bin is empty)."""
    labels, probabilities = _arrays(labels, probabilities)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.searchsorted(edges, probabilities, side="right") - 1, 0, bins - 1)
    count = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(which, probabilities, bins) / count
        rate = np.bincount(which, labels, bins) / count

    def listed(values):
        return [None if c == 0 else float(v) for c, v in zip(count, values, strict=True)]

    return {"edges": edges.round(6).tolist(), "count": count.tolist(),
            "mean_probability": listed(mean_p), "positive_rate": listed(rate)}


def expected_calibration_error(labels, probabilities, bins: int = BINS) -> float:
    """The count-weighted mean gap between positive rate and mean P(positive) over the bins."""
    table = reliability_bins(labels, probabilities, bins)
    total = sum(table["count"])
    return float(sum(c / total * abs(r - p) for c, r, p in zip(
        table["count"], table["positive_rate"], table["mean_probability"], strict=True) if c))


@dataclass(frozen=True)
class Platt:
    """``P(positive) = sigmoid(scale * score + shift)``; stored in a bundle as JSON."""

    scale: float = 1.0
    shift: float = 0.0

    @classmethod
    def fit(cls, scores, labels) -> Platt:
        """Logistic regression of the labels on the scores (almost no regularization)."""
        from sklearn.linear_model import LogisticRegression

        scores = np.asarray(scores, dtype=np.float64).reshape(-1, 1)
        fitted = LogisticRegression(C=1e6, solver="lbfgs").fit(scores, np.asarray(labels))
        return cls(float(fitted.coef_[0, 0]), float(fitted.intercept_[0]))

    def logit(self, scores: np.ndarray) -> np.ndarray:
        return self.scale * np.asarray(scores, dtype=np.float64) + self.shift

    def to_json(self) -> dict:
        return {"method": "platt", **asdict(self)}

    @classmethod
    def from_json(cls, data: dict) -> Platt:
        if data.get("method") != "platt":
            raise ValueError(f"unknown calibration method {data.get('method')!r}")
        return cls(float(data["scale"]), float(data["shift"]))


def _arrays(labels, probabilities):
    return (np.asarray(labels, dtype=np.float64), np.asarray(probabilities, dtype=np.float64))
