"""The recurrent classifier: token ids in, probability of a positive review out."""

from __future__ import annotations

from . import recurrent
from .config import Config
from .keras_import import keras
from .lazy_embedding import LazyEmbeddingModel

layers = keras.layers

# Keras's own layers, and the same layers with the faster JAX loop (recurrent.py): same weights,
# same dropout, the same function (float32 sums in another order). build_model uses the fast
# ones; a saved bundle holds Keras's own.
STOCK_LAYERS = {"simple_rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}
FAST_LAYERS = {"simple_rnn": recurrent.SimpleRNN, "lstm": recurrent.LSTM, "gru": recurrent.GRU}


def build_model(config: Config = Config(), *, fast: bool = True) -> keras.Model:
    """The classic Keras IMDB model, uncompiled: the graph only (``compile_model`` adds the
    training machinery; loading a bundle never does).

    ``token ids <int32>[batch, maxlen]`` -> ``P(positive) <float32>[batch, 1]``

    ``fast=False`` builds it from Keras's stock layers (what :func:`stock_model` saves);
    otherwise the recurrent layer is ``recurrent.py``'s.
    """
    # token ids <int32>[batch, maxlen]: 0 padding, 1 start, 2 unknown word, 3.. words
    token_ids = keras.Input(shape=(config.maxlen,), dtype="int32", name="token_ids")
    # word vectors <float32>[batch, maxlen, embedding_dim], one learned row per id
    embedding = layers.Embedding(config.max_features, config.embedding_dim, name="embedding")
    vectors = embedding(token_ids)
    # the review read left to right; its last state summarizes it: <float32>[batch, units]
    state = (FAST_LAYERS if fast else STOCK_LAYERS)[config.cell](
        config.units,
        dropout=config.dropout,
        recurrent_dropout=config.recurrent_dropout,
        name=config.cell,
    )(vectors)
    # P(positive) <float32>[batch, 1]
    probability = layers.Dense(1, activation="sigmoid", name="positive")(state)

    return keras.Model(token_ids, probability, name=f"imdb_{config.cell}")


def compile_model(model: keras.Model, config: Config = Config()) -> keras.Model:
    """``model`` ready to train: binary cross-entropy, Adam and accuracy, and with
    ``config.embedding_update == "lazy"`` re-wrapped as a :class:`LazyEmbeddingModel` (same
    layers, same weights) whose ``fit`` updates only the embedding rows a batch uses."""
    if config.embedding_update == "lazy":
        model = LazyEmbeddingModel(model.inputs, model.outputs, name=model.name)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def stock_model(model: keras.Model, config: Config) -> keras.Model:
    """``model``'s weights in the same model built from Keras's own layers, for saving.

    A file saved from it loads with plain ``keras.saving.load_model``, without this package.
    """
    stock = build_model(config, fast=False)
    stock.set_weights(model.get_weights())
    return stock
