"""Helpers shared by the benchmark parts: timing, peak memory, and the workload's files.

Every part runs in its own process (see ``run.py``) so that its peak resident memory is its own
and no compilation cache carries over from one part to the next. The parts share their input
through a work folder: ``ids.npz`` (token ids and labels) and ``texts.json`` (the test reviews
as raw text with the vocabulary), written once by the ``data`` part.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAXLEN = 400  # ids are stored at the longest maxlen measured; shorter ones are their last columns
TRAIN_REVIEWS = TEST_REVIEWS = 25_000  # one epoch of the real training split, one test pass



@dataclass(frozen=True)
class Workload:
    """The token ids every training and prediction part uses.

    ``x_train <int32>[n_train, 400]``, ``y_train <float32>[n_train]``, the same for ``test``;
    ``texts`` are raw test reviews and ``vocabulary`` the words that encode them.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    texts: list[str]
    vocabulary: list[str]
    source: str  # "real: <archive>" or "synthetic"

    def save(self, folder: Path) -> None:
        np.savez(folder / "ids.npz", x_train=self.x_train, y_train=self.y_train,
                 x_test=self.x_test, y_test=self.y_test)
        (folder / "texts.json").write_text(json.dumps(
            {"texts": self.texts, "vocabulary": self.vocabulary, "source": self.source}))

    @classmethod
    def load(cls, folder: Path) -> Workload:
        ids = np.load(folder / "ids.npz")
        meta = json.loads((folder / "texts.json").read_text())
        return cls(ids["x_train"], ids["y_train"], ids["x_test"], ids["y_test"],
                   meta["texts"], meta["vocabulary"], meta["source"])


def synthetic_workload(n_train: int, n_test: int, max_features: int, seed: int = 0) -> Workload:
    """Random ids of the real shapes (every row full, ids 3..max_features-1) and random texts
    of the synthetic words ``w3``, ``w4``, ... so that raw-text prediction has work to do."""
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{i}" for i in range(3, max_features)]
    ids = rng.integers(3, max_features, size=(n_train + n_test, MAXLEN), dtype=np.int32)
    labels = rng.integers(0, 2, size=n_train + n_test).astype(np.float32)
    texts = [" ".join(vocabulary[i - 3] for i in row[-230:]) for row in ids[n_train:]]
    return Workload(ids[:n_train], labels[:n_train], ids[n_train:], labels[n_train:], texts,
                    vocabulary, "synthetic")
