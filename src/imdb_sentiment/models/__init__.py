"""Model kinds: one module each, and the registry that maps a bundle's ``kind`` to its class.

A kind is a :class:`KindModel` subclass: it turns raw texts into its own input (``encode``),
scores that input (``predict_encoded``), explains its decisions token by token (``explain``), and
writes and reads its own files in a bundle folder (``save``/``load``). :class:`Classifier`
delegates to it, so ``predict``, ``--explain`` and ``evaluate`` work the same for every kind.
Adding a kind means one module here plus one line in :data:`KINDS`.

A bundle whose ``config.json`` names no kind holds the recurrent kind (the only one before kinds
existed), so older bundles load unchanged.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import UserError


class Kind(NamedTuple):
    module: str  # in this package
    cls: str
    files: tuple[str, ...]  # every file the kind may write in a bundle folder
    folders: tuple[str, ...] = ()  # and every folder (an ensemble's members)


# Modules are imported on first use only: loading a linear bundle never imports Keras, and
# replacing a bundle (bundle.tool_files, which reads the names here) imports no kind at all.
KINDS = {
    # Embedding -> SimpleRNN/LSTM/GRU -> Dense (Keras)
    "recurrent": Kind("rnn", "RecurrentModel", ("vocabulary.json", "model.keras")),
    # naive-Bayes-scaled n-gram logistic regression (scikit-learn)
    "nbsvm": Kind("linear", "NBSVM", ("nbsvm.npz", "ngrams.json", "calibration.json")),
    # bidirectional GRU over whole reviews, pooled (Keras)
    "birnn": Kind("birnn", "BiRNN", ("vocabulary.json", "model.keras", "calibration.json")),
    # birnn + nbsvm, combined on the validation split
    "ensemble": Kind("ensemble", "Ensemble", ("ensemble.json",), ("birnn", "nbsvm")),
}
DEFAULT_KIND = "recurrent"


def kind_class(kind: str) -> type[KindModel]:
    """The class of ``kind``; an unknown kind is refused in one line."""
    if kind not in KINDS:
        raise UserError(f"unknown model kind {kind!r}; this version of imdb-sentiment knows "
                        f"{', '.join(sorted(KINDS))}")
    return getattr(importlib.import_module(f".{KINDS[kind].module}", __name__), KINDS[kind].cls)


class KindModel:
    """What every kind provides. ``config`` is the :class:`~imdb_sentiment.config.Config` it was
    built from; ``model`` and ``vocabulary`` are its own objects (a Keras model and word ids, or
    linear weights and n-grams)."""

    kind: str = ""
    files: tuple[str, ...] = ()  # the bundle files ``save`` writes and ``load`` needs
    explain_methods: tuple[str, ...] = ()  # the first is the default

    config = model = vocabulary = None

    @classmethod
    def train(cls, train_set, test_set, config, *, verbose="auto", unsup_source=None):
        """Fit on ``train_set`` (choices on validation splits of it), measure ``test_set`` once
        (``LabeledTexts``); returns a :class:`~imdb_sentiment.classifier.Classifier` with its
        ``metrics``. ``unsup_source``: the aclImdb archive whose unlabeled reviews a kind may
        pretrain on (None for the user's own data)."""
        raise NotImplementedError

    def encode(self, texts: Sequence[str]):
        """Raw texts -> this kind's input for :meth:`predict_encoded`."""
        raise NotImplementedError

    def predict_encoded(self, encoded) -> np.ndarray:
        """This kind's input -> ``P(positive) <float32>[n]``."""
        raise NotImplementedError

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """``P(positive) <float32>[len(texts)]``."""
        return self.predict_encoded(self.encode(texts))

    def load_lazy_parts(self) -> None:
        """Load now what later calls would load on first use, so that a server's requests do
        not wait for it (the recurrent kind: Keras). Nothing by default."""

    def explain(self, texts: Sequence[str], method: str) -> list:
        """One :class:`~imdb_sentiment.classifier.Explanation` per text."""
        raise NotImplementedError

    def content(self) -> Iterator:
        """What identifies the trained model, for its content hash: JSON-able objects and numpy
        arrays, always in the same order (``serve`` shows the hash at ``/v1/model``)."""
        raise NotImplementedError

    def save(self, folder: Path) -> None:
        raise NotImplementedError

    @classmethod
    def load(cls, folder: str | os.PathLike, config) -> KindModel:
        """Read what :meth:`save` wrote; never executes code from the files."""
        raise NotImplementedError
