"""The recurrent model's forward pass in NumPy: the probabilities Keras computes, without Keras.

``token ids <int32>[n, maxlen]`` -> ``P(positive) <float32>[n]``, for the weights of
:func:`imdb_sentiment.model.build_model` (``keras.Model.get_weights()`` order) and the three
cells as Keras 3 computes them at inference (``keras/src/layers/rnn/``: no dropout, no mask,
left to right, the last state fed to the Dense layer):

- SimpleRNN: ``h = tanh(x W + b + h U)``
- LSTM, gates i, f, c, o side by side in W, U and b:
  ``c = sig(f) * c + sig(i) * tanh(c~)``, ``h = sig(o) * tanh(c)``
- GRU with ``reset_after=True``, gates z, r, h; b holds the input bias and the recurrent bias:
  ``z = sig(xz + hz)``, ``r = sig(xr + hr)``, ``h = z * h + (1 - z) * tanh(xh + r * hh)`` where
  ``hz, hr, hh = h U + b_recurrent``

Float32 throughout, as the Keras model: the sums run in another order than XLA's, so the
probabilities differ by rounding only (tests/test_numpy_rnn.py bounds it at 1e-5).
"""

from __future__ import annotations

import threading

import numpy as np

CHUNK = 256  # reviews per pass (512 was 5-12% faster for the SimpleRNN, at twice the memory)
# OpenBLAS threads for the pass. Its products are small (a chunk's state times a 128-wide
# kernel, 80 times): with one thread the pass ran 1.5-22x faster than with OpenBLAS's default
# of one per core at batches of 32-256, 0.8-1.0x at 1-8 and 0.8-11.6x at 4000 (three runs on this
# 2-core machine while other work ran; bench/cold_predict.py threads, BENCHMARKS.md).
BLAS_THREADS = 1
_controller = None
_controller_lock = threading.Lock()


def blas_threads():
    """A context in which OpenBLAS (NumPy's matmul) uses at most :data:`BLAS_THREADS` threads
    (None: its default), through threadpoolctl (scikit-learn's dependency); restored on
    leaving."""
    global _controller
    with _controller_lock:
        if _controller is None:
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()  # 1 ms: finds the BLAS libraries loaded
    return _controller.limit(limits=BLAS_THREADS, user_api="blas")


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``1 / (1 + exp(-x))`` as Keras's ``ops.sigmoid``, into ``out`` if given (x itself may
    be it); exp overflows to inf for x < -88, which gives the right 0."""
    with np.errstate(over="ignore"):
        out = np.negative(x, out=out)
        np.exp(out, out=out)
        out += 1.0
        return np.reciprocal(out, out=out)


class NumpyRNN:
    """``NumpyRNN(cell, weights)(ids)``: ``cell`` is ``Config.cell``, ``weights`` the six
    arrays of ``keras_file.read_weights``, kept as given in ``weights``.

    A time step is a dozen NumPy calls on small arrays, so the steps below compute each
    activation once over adjacent gate blocks: the LSTM's columns are reordered to i, f, o, c
    (three sigmoids in one call); the GRU's z, r are adjacent already.
    """

    def __init__(self, cell: str, weights: list[np.ndarray]):
        self.cell, self.weights = cell, weights
        # embedding: one row per id <float32>[max_features, embedding_dim]
        self.embedding, kernel, recurrent, bias, self.dense_kernel, self.dense_bias = weights
        self.units = units = recurrent.shape[0]
        if cell == "gru":  # reset_after: the recurrent bias is added to h U, inside r * (...)
            bias, self.recurrent_bias = bias[0], bias[1]
        if cell == "lstm":  # Keras's i, f, c, o -> i, f, o, c
            order = np.r_[0:2 * units, 3 * units:4 * units, 2 * units:3 * units]
            kernel, recurrent, bias = kernel[:, order], recurrent[:, order], bias[order]
        self.kernel, self.recurrent, self.input_bias = kernel, recurrent, bias
        self._step = {"simple_rnn": self._simple_rnn, "lstm": self._lstm, "gru": self._gru}[cell]

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids)
        out = np.empty(len(ids), dtype=np.float32)
        with blas_threads():
            for start in range(0, len(ids), CHUNK):
                out[start:start + CHUNK] = self._forward(ids[start:start + CHUNK])
        return out

    def _forward(self, ids: np.ndarray) -> np.ndarray:
        # the input projection of every step at once, time first:
        # <float32>[maxlen, batch, gates * units]
        projected = self.embedding[ids.T] @ self.kernel
        projected += self.input_bias
        h = np.zeros((len(ids), self.units), dtype=np.float32)
        c = np.zeros_like(h)  # the LSTM's cell state; unused by the other two
        for x in projected:
            h, c = self._step(x, h, c)
        return sigmoid(h @ self.dense_kernel + self.dense_bias)[:, 0]

    def _simple_rnn(self, x, h, c):
        z = h @ self.recurrent
        z += x
        return np.tanh(z, out=z), c

    def _lstm(self, x, h, c):
        u = self.units
        z = h @ self.recurrent
        z += x
        gates = sigmoid(z[:, :3 * u], out=z[:, :3 * u])
        i, f, o = gates[:, :u], gates[:, u:2 * u], gates[:, 2 * u:]
        candidate = np.tanh(z[:, 3 * u:], out=z[:, 3 * u:])
        c = f * c + i * candidate
        return o * np.tanh(c), c

    def _gru(self, x, h, c):
        u = self.units
        inner = h @ self.recurrent
        inner += self.recurrent_bias
        zr = x[:, :2 * u] + inner[:, :2 * u]
        sigmoid(zr, out=zr)
        z, r = zr[:, :u], zr[:, u:]
        candidate = r * inner[:, 2 * u:]
        candidate += x[:, 2 * u:]
        np.tanh(candidate, out=candidate)
        return z * h + (1.0 - z) * candidate, c
