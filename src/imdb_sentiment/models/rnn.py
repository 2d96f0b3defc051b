"""The ``recurrent`` kind: Embedding -> SimpleRNN/LSTM/GRU -> Dense, on Keras (``model.py``).

Text is tokenized exactly as in training (:func:`imdb_sentiment.text.tokenize`). A review of
``maxlen`` tokens or more is judged on its last ``maxlen`` tokens: the 'pre' truncation of
training keeps the last ``maxlen`` ids of ``[start, tokens...]``, so the start marker goes too.
``explain`` marks the tokens the model did not see. Empty text is valid: the model sees only the
start marker and gives its prior, and ``explain`` returns no tokens.

The bundle holds ``model.keras`` (Keras's own layers, readable by plain
``keras.saving.load_model``) and ``vocabulary.json``. Loading reads the weights without Keras
(``keras_file.py``: zip + JSON + HDF5, checked) and scores in NumPy (``numpy_rnn.py``, the same
probabilities): importing Keras and JAX takes 3.5-4 s, most of a one-review ``predict``. Keras
is imported when it pays (see :data:`KERAS_AFTER_ROWS`) or is needed (integrated gradients,
saving), and builds the uncompiled model :func:`~imdb_sentiment.model.build_model` makes (its
faster layers) from the same weights. A file the NumPy reader does not know (another
architecture or Keras version) is read by Keras itself (``safe_mode`` on), as is every file with
``IMDB_SENTIMENT_INFERENCE=keras``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..bundle import CONFIG
from ..errors import UserError
from ..text import PAD, Vocabulary, pad, tokenize
from . import KindModel
from .keras_file import check_finite, check_sizes, read_weights
from .numpy_rnn import NumpyRNN

if TYPE_CHECKING:
    from ..keras_import import keras

PREDICT_BATCH = 256  # rows per Keras forward pass; smaller batches are padded to a power of two
# Which path scores a batch, measured by bench/cold_predict.py (BENCHMARKS.md). Once Keras is
# loaded, Keras: with its programs compiled, XLA was as fast or faster at every batch size
# (1 to 4000 rows: SimpleRNN 1.05-3x, LSTM and GRU 1.4-4x). Until then, NumPy scores the first
# KERAS_AFTER_ROWS reviews of the process: loading Keras costs about 4 s (import, model, XLA
# programs from the cache), and NumPy's pass is slower than XLA's by 0.01-0.03 ms a review for
# the SimpleRNN and 0.15-0.3 ms for the LSTM and GRU (batches of 4000), so Keras repays its
# load only after about that many reviews (switching once the time lost equals the switch's
# cost is never more than twice the better choice made in hindsight).
KERAS_AFTER_ROWS = {"simple_rnn": 100_000, "lstm": 15_000, "gru": 15_000}
MODEL, VOCABULARY = "model.keras", "vocabulary.json"
# auto: the rule above; keras: read and score with Keras only (as before the NumPy path; for
# comparisons); numpy: every batch in NumPy (Keras only to explain by integrated gradients or
# to save)
INFERENCE = "IMDB_SENTIMENT_INFERENCE"
INFERENCE_MODES = ("auto", "keras", "numpy")


class RecurrentModel(KindModel):
    kind = "recurrent"
    files = (VOCABULARY, MODEL)
    explain_methods = ("occlusion", "integrated_gradients")

    def __init__(self, model: keras.Model | None, vocabulary: Vocabulary, config, *,
                 weights: list[np.ndarray] | None = None, inference: str = "auto"):
        """``model``: a Keras model (from training); or None and ``weights``, the arrays of
        ``model.get_weights()`` read from a bundle, and the Keras model is built from them on
        first need. ``inference``: one of :data:`INFERENCE_MODES`."""
        self.vocabulary, self.config = vocabulary, config
        self._keras = model
        self._numpy = NumpyRNN(config.cell, weights) if weights is not None else None
        self.inference = inference
        self._numpy_rows = 0  # reviews scored in NumPy before Keras was loaded
        self._lock = threading.Lock()  # the server's threads may need the Keras model at once
        self._gradients = None  # built on the first integrated-gradients explanation

    @property
    def model(self) -> keras.Model:
        """The Keras model: for a bundle read without Keras, built on first use (this imports
        Keras and JAX)."""
        if self._keras is None:
            with self._lock:
                if self._keras is None:
                    self._keras = _keras_model(self.config, self._numpy.weights)
        return self._keras

    @model.setter
    def model(self, model: keras.Model) -> None:
        self._keras, self._numpy = model, None  # new weights: the NumPy copy is stale

    def load_lazy_parts(self) -> None:
        """Load Keras now (a server: no request waits 4 s for it); it then scores every batch
        (see :data:`KERAS_AFTER_ROWS`)."""
        self.model  # noqa: B018 - the property builds it

    def _in_numpy(self, rows: int) -> bool:
        """Whether a batch of ``rows`` is scored in NumPy (see :data:`KERAS_AFTER_ROWS`)."""
        if self._numpy is None or self.inference == "keras":
            return False
        if self.inference == "numpy":
            return True
        if self._keras is not None:
            return False
        if self._numpy_rows + rows <= KERAS_AFTER_ROWS[self.config.cell]:
            self._numpy_rows += rows
            return True
        return False

    @classmethod
    def train(cls, train_set, test_set, config, *, verbose="auto", callbacks=()):
        """``training.train``: the Keras fit, with history and per-epoch test figures."""
        from ..training import train

        return train(train_set, test_set, config, verbose=verbose, callbacks=callbacks)

    def encode(self, texts: Iterable[str]) -> np.ndarray:
        """``token ids <int32>[n, maxlen]``, as the model was trained on."""
        return self.vocabulary.encode_batch(texts, self.config.maxlen)

    def predict_encoded(self, ids: np.ndarray) -> np.ndarray:
        """``token ids <int32>[n, maxlen]`` -> ``P(positive) <float32>[n]``, in NumPy or with
        Keras (:meth:`_in_numpy`)."""
        if self._in_numpy(len(ids)):
            return self._numpy(ids)
        out = np.empty(len(ids), dtype=np.float32)
        for start in range(0, len(ids), PREDICT_BATCH):
            chunk = ids[start : start + PREDICT_BATCH]
            rows = len(chunk)
            size = PREDICT_BATCH if rows == PREDICT_BATCH else 1 << (rows - 1).bit_length()
            if size != rows:  # a few fixed shapes keep XLA from compiling every batch size
                chunk = np.concatenate([chunk, np.zeros((size - rows, chunk.shape[1]), np.int32)])
            out[start : start + rows] = np.asarray(self.model.predict_on_batch(chunk))[:rows, 0]
        return out

    def explain(self, texts: Sequence[str], method: str = "occlusion") -> list:
        """``occlusion``: every seen token is replaced by padding in turn and the review scored
        again; a review of n seen tokens takes ``n + 1`` rows, and the rows of all the reviews go
        through the model together. ``integrated_gradients`` (JAX backend) integrates the
        gradient on the path from the review with all its seen tokens hidden to the review
        itself; the contributions then add up to the difference of the two probabilities."""
        token_lists = [tokenize(text) for text in texts]
        maxlen = self.config.maxlen
        windows = pad([self.vocabulary.encode_tokens(t) for t in token_lists], maxlen)
        # the window keeps the last maxlen ids of [start, tokens...]: a review of maxlen tokens
        # or more loses its start marker and the model sees its last maxlen tokens
        n_seen = np.array([min(len(t), maxlen) for t in token_lists], dtype=np.int64)
        explain_windows = (self._occlusion if method == "occlusion"
                           else self._integrated_gradients)
        probabilities, contributions = explain_windows(windows, n_seen)
        return [_explanation(tokens, p, row[maxlen - k:])
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
        scores = self.predict_encoded(rows)
        probabilities = scores[starts]
        contributions = np.zeros(windows.shape, dtype=np.float32)
        contributions[review[occluded], columns] = (probabilities[review] - scores)[occluded]
        return probabilities, contributions

    def _integrated_gradients(self, windows: np.ndarray, n_seen: np.ndarray):
        """Same shapes as :meth:`_occlusion`."""
        if self._gradients is None:
            from ..gradients import IntegratedGradients

            self._gradients = IntegratedGradients(self.model)
        seen = np.arange(windows.shape[1])[None, :] >= windows.shape[1] - n_seen[:, None]
        baselines = np.where(seen, PAD, windows).astype(np.int32)
        return self.predict_encoded(windows), self._gradients(windows, baselines)

    def content(self):
        yield self.vocabulary.to_json()
        yield from (self._numpy.weights if self._numpy is not None else self.model.get_weights())

    def save(self, folder: Path) -> None:
        from ..model import stock_model

        stock_model(self.model, self.config).save(folder / MODEL)
        self.vocabulary.save(folder / VOCABULARY)

    @classmethod
    def load(cls, folder: str | os.PathLike, config) -> RecurrentModel:
        """The bundle's vocabulary and weights, checked against ``config`` and each other; the
        weights read without Keras where ``keras_file`` knows the file (see the module)."""
        folder = Path(folder)
        vocabulary = _vocabulary(folder, config)
        mode = os.environ.get(INFERENCE, "auto")
        if mode not in INFERENCE_MODES:
            raise UserError(f"{INFERENCE}={mode!r}: use one of {', '.join(INFERENCE_MODES)}")
        weights = None if mode == "keras" else read_weights(folder, config)
        if weights is None:
            return cls(_load_keras(folder, config), vocabulary, config)
        return cls(None, vocabulary, config, weights=weights, inference=mode)


def _keras_model(config, weights: list[np.ndarray]) -> keras.Model:
    """The uncompiled model of ``build_model`` (recurrent.py's faster layers) with ``weights``."""
    from ..model import build_model
    from ..runtime import use_compilation_cache

    use_compilation_cache()  # the predict programs: compiled once, then read from disk
    model = build_model(config)
    model.set_weights(weights)
    return model


def _load_keras(folder: Path, config) -> keras.Model:
    """``model.keras`` read by Keras (safe_mode) and checked, in ``build_model``'s model."""
    stored = _read_keras(folder)
    _check_model(folder, stored, config)
    try:
        return _keras_model(config, stored.get_weights())
    except ValueError as error:
        raise UserError(f"bundle {folder} is damaged: {MODEL} does not match {CONFIG} "
                        f"({error})") from error


def _vocabulary(folder: Path, config) -> Vocabulary:
    from ..bundle import _read_json
    from ..text import FIRST_WORD_ID

    data = _read_json(folder / VOCABULARY)
    damaged = f"bundle {folder} is damaged: {VOCABULARY}"
    if not isinstance(data, dict):
        raise UserError(f"{damaged} is not a JSON object")
    words, max_features = data.get("words"), data.get("max_features")
    if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
        raise UserError(f"{damaged}: 'words' is not a list of words")
    if len(set(words)) != len(words):
        raise UserError(f"{damaged}: 'words' repeats a word")
    if max_features != config.max_features or isinstance(max_features, bool):
        raise UserError(f"{damaged}: max_features {max_features!r} differs from {CONFIG}'s "
                        f"{config.max_features}")
    if len(words) > config.max_features - FIRST_WORD_ID:
        raise UserError(f"{damaged}: {len(words)} words do not fit the model's "
                        f"{config.max_features} ids")
    return Vocabulary.from_json(data)


def _read_keras(folder: Path):
    from ..keras_import import keras

    try:
        return keras.saving.load_model(folder / MODEL, compile=False, safe_mode=True)
    except Exception as error:  # noqa: BLE001 - whatever the zip or the config inside holds
        reason = " ".join(str(error).split())[:200] or type(error).__name__
        raise UserError(f"bundle {folder} is damaged: {MODEL} cannot be read ({reason})") from None


def _check_model(folder: Path, stored, config) -> None:
    damaged = f"bundle {folder} is damaged: {MODEL}"
    try:
        maxlen = stored.input_shape[1]
        rows = stored.get_layer("embedding").input_dim
    except (AttributeError, IndexError, TypeError, ValueError) as error:
        raise UserError(f"{damaged} is not this tool's model ({error})") from None
    check_sizes(damaged, maxlen, rows, config)
    check_finite(damaged, stored.get_weights())


def _explanation(tokens: list[str], probability: float, seen_contributions: np.ndarray):
    """``seen_contributions <float32>[n_seen]``: those of the last n_seen tokens."""
    from ..classifier import Explanation, TokenContribution, prediction

    first_seen = len(tokens) - len(seen_contributions)
    contributions = np.zeros(len(tokens), dtype=np.float32)
    contributions[first_seen:] = seen_contributions
    return Explanation(
        prediction(probability),
        [TokenContribution(t, float(c), i >= first_seen)
         for i, (t, c) in enumerate(zip(tokens, contributions, strict=True))],
    )
