"""The recurrent classifier: token ids in, probability of a positive review out."""

from __future__ import annotations

import keras
from keras import layers

from .config import Config

RECURRENT_LAYERS = {"simple_rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}


def build_model(config: Config = Config()) -> keras.Model:
    """The classic Keras IMDB model, compiled with binary cross-entropy, Adam and accuracy.

    ``token ids <int32>[batch, maxlen]`` -> ``P(positive) <float32>[batch, 1]``
    """
    # token ids <int32>[batch, maxlen]: 0 padding, 1 start, 2 unknown word, 3.. words
    token_ids = keras.Input(shape=(config.maxlen,), dtype="int32", name="token_ids")
    # word vectors <float32>[batch, maxlen, embedding_dim], one learned row per id
    embedding = layers.Embedding(config.max_features, config.embedding_dim, name="embedding")
    vectors = embedding(token_ids)
    # the review read left to right; its last state summarizes it: <float32>[batch, units]
    state = RECURRENT_LAYERS[config.cell](
        config.units,
        dropout=config.dropout,
        recurrent_dropout=config.recurrent_dropout,
        name=config.cell,
    )(vectors)
    # P(positive) <float32>[batch, 1]
    probability = layers.Dense(1, activation="sigmoid", name="positive")(state)

    model = keras.Model(token_ids, probability, name=f"imdb_{config.cell}")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=config.learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy"],
    )
    return model
