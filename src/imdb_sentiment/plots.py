"""Figures as PNG files, drawn with matplotlib's Agg backend (no screen needed)."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

_SERIES = (("", "train"), ("val_", "validation"), ("test_", "test"))


def plot_history(history: dict[str, list[float]], path: str | os.PathLike) -> Path:
    """The classic results figure: accuracy and loss per epoch, train against test."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, metric in zip(axes, ("accuracy", "loss"), strict=True):
        for prefix, name in _SERIES:
            values = history.get(prefix + metric)
            if values:
                epochs = range(1, len(values) + 1)
                ax.plot(epochs, values, marker="o", label=name)
        ax.set_title(f"model {metric}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    return _save(fig, path)


def plot_confusion_matrix(matrix: list[list[int]], labels: list[str],
                          path: str | os.PathLike) -> Path:
    """``matrix[true][predicted]`` as a heat map with the count and row share in each cell."""
    counts = np.asarray(matrix, dtype=np.int64)
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(4.8, 4.2))
    ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (row, col), count in np.ndenumerate(counts):
        ax.text(col, row, f"{count}\n{shares[row, col]:.1%}", ha="center", va="center",
                color="white" if shares[row, col] > 0.5 else "black")
    ax.set_xticks(range(len(labels)), labels)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("confusion matrix")
    fig.tight_layout()
    return _save(fig, path)


def plot_roc(fpr: list[float], tpr: list[float], auc: float, path: str | os.PathLike) -> Path:
    """The ROC curve (true against false positive rate) with the chance diagonal."""
    fig, ax = plt.subplots(figsize=(4.8, 4.4))
    ax.plot(fpr, tpr, label=f"model (AUC {auc:.4f})")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="chance")
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC curve")
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return _save(fig, path)


def plot_reliability(bins: dict, ece: float, path: str | os.PathLike) -> Path:
    """The reliability diagram: per bin of P(positive), the share of positive reviews against
    the mean predicted probability (on the diagonal when calibrated), with the bin counts."""
    fig, (ax, counts) = plt.subplots(2, 1, figsize=(4.8, 5.6), sharex=True,
                                     gridspec_kw={"height_ratios": [3, 1]})
    edges = np.asarray(bins["edges"])
    centers, width = (edges[:-1] + edges[1:]) / 2, edges[1] - edges[0]
    rate = np.array([np.nan if r is None else r for r in bins["positive_rate"]])
    mean = np.array([np.nan if m is None else m for m in bins["mean_probability"]])
    ax.bar(centers, np.nan_to_num(rate), width=width * 0.9, alpha=0.6, label="positive share")
    ax.plot(mean, rate, marker="o", color="C1", label="at mean P in bin")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="calibrated")
    ax.set_ylabel("share of positive reviews")
    ax.set_title(f"reliability (ECE {ece:.4f})")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left")
    counts.bar(centers, bins["count"], width=width * 0.9, color="grey")
    counts.set_xlabel("P(positive)")
    counts.set_ylabel("reviews")
    fig.tight_layout()
    return _save(fig, path)


def _save(fig, path: str | os.PathLike) -> Path:
    """Through a temporary file, fsync-ed and renamed (atomic.py)."""
    from .atomic import atomic_file

    path = Path(path)
    try:
        with atomic_file(path, "wb") as file:
            fig.savefig(file, dpi=110, format="png")
    finally:
        plt.close(fig)
    return path
