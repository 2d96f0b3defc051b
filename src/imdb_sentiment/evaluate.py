"""Metrics of a classifier on any labeled set, with scikit-learn, and the report on disk.

``evaluate(classifier, labeled)`` gives a JSON-ready dict: accuracy, loss (binary cross-entropy),
precision, recall and F1 of the positive class at threshold 0.5, ROC AUC, the Brier score and the
expected calibration error over 10 bins (``calibration.py``), the confusion matrix
``[[true negative, false positive], [false negative, true positive]]``, the ROC curve points and
the reliability bins. ``save_report`` writes it as ``metrics.json`` with ``confusion_matrix.png``,
``roc.png`` and ``reliability.png``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from .config import LABELS
from .errors import UserError

THRESHOLD = 0.5  # the same cut as Classifier.predict
METRICS_JSON, CONFUSION_PNG, ROC_PNG = "metrics.json", "confusion_matrix.png", "roc.png"
RELIABILITY_PNG = "reliability.png"


def evaluate(classifier, labeled) -> dict:
    """Score ``labeled`` (:class:`~imdb_sentiment.data.LabeledTexts`) and measure the scores."""
    return compute_metrics(labeled.labels, classifier.predict_proba(labeled.texts))


def compute_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    """``labels <int>[n]`` (0/1) and ``P(positive) <float>[n]`` -> the metrics dict.

    ROC AUC and the ROC curve are None when the labels hold only one class.
    """
    from sklearn import metrics

    from .calibration import brier_score, expected_calibration_error, reliability_bins

    labels = np.asarray(labels, dtype=np.int64)
    probabilities = np.asarray(probabilities, dtype=np.float64)
    predicted = (probabilities >= THRESHOLD).astype(np.int64)
    both_classes = len(np.unique(labels)) == 2
    result = {
        "reviews": len(labels),
        "positives": int(labels.sum()),
        "threshold": THRESHOLD,
        "accuracy": metrics.accuracy_score(labels, predicted),
        "loss": metrics.log_loss(labels, probabilities, labels=[0, 1]),
        "precision": metrics.precision_score(labels, predicted, zero_division=0),
        "recall": metrics.recall_score(labels, predicted, zero_division=0),
        "f1": metrics.f1_score(labels, predicted, zero_division=0),
        "roc_auc": metrics.roc_auc_score(labels, probabilities) if both_classes else None,
        "brier": brier_score(labels, probabilities),
        "ece": expected_calibration_error(labels, probabilities),
        "labels": list(LABELS),
        "confusion_matrix": metrics.confusion_matrix(labels, predicted, labels=[0, 1]).tolist(),
        "roc_curve": None,
        "reliability": reliability_bins(labels, probabilities),
    }
    if both_classes:
        fpr, tpr, _ = metrics.roc_curve(labels, probabilities)
        result["roc_curve"] = {"fpr": np.round(fpr, 5).tolist(), "tpr": np.round(tpr, 5).tolist()}
    return {k: float(v) if isinstance(v, np.floating) else v for k, v in result.items()}


def save_report(result: dict, folder: str | os.PathLike) -> list[Path]:
    """Write ``metrics.json``, ``confusion_matrix.png`` and (with two classes) ``roc.png``."""
    from .atomic import describe, write_text
    from .plots import plot_confusion_matrix, plot_reliability, plot_roc

    folder = Path(folder)
    json_path = folder / METRICS_JSON
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create {folder}: {describe(error)}") from error
    write_text(json_path, json.dumps(result, indent=2, allow_nan=False) + "\n")
    written = [json_path, plot_confusion_matrix(result["confusion_matrix"], result["labels"],
                                                folder / CONFUSION_PNG)]
    if result["roc_curve"]:
        curve = result["roc_curve"]
        written.append(plot_roc(curve["fpr"], curve["tpr"], result["roc_auc"], folder / ROC_PNG))
    written.append(plot_reliability(result["reliability"], result["ece"],
                                    folder / RELIABILITY_PNG))
    return written
