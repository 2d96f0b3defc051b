"""The network of the ``birnn`` kind: whole reviews, both directions, pooled over time.

``token ids <int32>[batch, T]`` (words from position 0, padding 0 after the last word) ->
``P(positive) <float32>[batch, 1]``.

Embedding (``mask_zero``) -> word dropout -> ``Bidirectional(GRU)`` with the padding masked (a
masked step leaves the state as it was, so the backward direction starts at each review's own
last word) -> max and mean over the word positions (:class:`MaskedPooling`) -> dropout -> Dense.
``pooling="last"`` (an ablation) takes each direction's final state instead, as the classic does.

Keras's masked ``Bidirectional`` was measured faster here than this package's fast recurrent
layers (``recurrent.py``, which take no mask) run on rows reversed within their length: 140 vs
200 ms a training step (batch 64, 256 steps, GRU 64, same run; BENCHMARKS.md). The one custom
layer is registered with Keras and holds no weights: a bundle loads with ``safe_mode`` on.
"""

from __future__ import annotations

from ..keras_import import keras

layers, ops = keras.layers, keras.ops

CELLS = {"gru": layers.GRU, "lstm": layers.LSTM}
POOLINGS = ("max_mean", "last")


@keras.saving.register_keras_serializable(package="imdb_sentiment")
class MaskedPooling(layers.Layer):
    """``(states <[B, T, D]>, token_ids <[B, T]>)`` -> ``<[B, 2D]>``: max and mean over the word
    positions (not the padding's)."""

    def call(self, states, token_ids, mask=None):  # the ids give the mask: Keras's is unused
        mask = ops.cast(ops.not_equal(token_ids, 0), states.dtype)[:, :, None]  # <[B, T, 1]>
        count = ops.maximum(ops.sum(mask, axis=1), 1.0)  # an empty review: zeros, not NaN
        mean = ops.sum(states * mask, axis=1) / count
        maximum = ops.max(states * mask + (mask - 1.0) * 1e9, axis=1)
        maximum = ops.where(ops.sum(mask, axis=1) > 0, maximum, 0.0)
        return ops.concatenate([maximum, mean], axis=-1)

    def compute_mask(self, inputs, mask=None):
        return None  # one vector per review: nothing left to mask

    def compute_output_shape(self, states_shape, token_ids_shape):
        return (states_shape[0], 2 * states_shape[-1])


def build_network(config, vocabulary_size: int) -> keras.Model:
    """The uncompiled network of ``config`` (``cell``, ``embedding_dim``, ``units``,
    ``dropout``, ``recurrent_dropout``, ``bidirectional``, ``pooling``), for any sequence
    length: the batches are bucketed by length."""
    token_ids = keras.Input(shape=(None,), dtype="int32", name="token_ids")
    vectors = layers.Embedding(vocabulary_size, config.embedding_dim, mask_zero=True,
                               name="embedding")(token_ids)
    vectors = layers.SpatialDropout1D(config.dropout, name="word_dropout")(vectors)
    pool = config.pooling != "last"
    rnn = CELLS[config.cell](config.units, return_sequences=pool,
                             recurrent_dropout=config.recurrent_dropout, name=config.cell)
    if config.bidirectional:
        rnn = layers.Bidirectional(rnn, name=f"bi{config.cell}")  # outputs side by side
    states = rnn(vectors)  # <[B, T, D]> (pooled) or the final states <[B, D]> ("last")
    if pool:
        states = MaskedPooling(name="pooling")(states, token_ids)
    pooled = layers.Dropout(config.dropout, name="dropout")(states)
    probability = layers.Dense(1, activation="sigmoid", name="positive")(pooled)
    return keras.Model(token_ids, probability, name=f"imdb_pooled_{config.cell}")
