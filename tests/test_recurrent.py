"""The fast recurrent layers compute what Keras's own layers compute, gradients included."""

import json
import zipfile

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

from imdb_sentiment import Config, build_model, recurrent
from imdb_sentiment.model import stock_model

CELLS = ["SimpleRNN", "LSTM", "GRU"]
X = np.random.default_rng(0).normal(size=(4, 9, 5)).astype("float32")


def twin_layers(name: str, **options):
    """Keras's layer and ours, with the same weights and the same dropout seed."""
    stock = getattr(keras.layers, name)(6, seed=3, **options)
    fast = getattr(recurrent, name)(6, seed=3, **options)
    stock.build(X.shape)
    fast.build(X.shape)
    fast.set_weights(stock.get_weights())
    return stock, fast


def output_and_gradients(layer, x, training: bool, **call):
    """The layer's output and the gradients of a loss of it w.r.t. its weights and its input."""
    weights = [v.value for v in layer.trainable_variables]
    state = [v.value for v in layer.non_trainable_variables]

    def run(weights, x):
        return layer.stateless_call(weights, state, x, training=training, **call)[0]

    def loss(weights, x):  # weighs every output differently
        y = run(weights, x)
        return jnp.sum(jnp.sin(y) * jnp.arange(y.size).reshape(y.shape))

    return run(weights, x), jax.grad(loss, argnums=(0, 1))(weights, x)


def assert_same(a, b):
    """Equal up to float32 rounding: sums in another order, so errors scale with the largest."""
    for left, right in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        right = np.asarray(right)
        np.testing.assert_allclose(np.asarray(left), right, rtol=1e-4,
                                   atol=1e-6 * max(1.0, np.abs(right).max()))


@pytest.mark.parametrize("name", CELLS)
@pytest.mark.parametrize("dropout, recurrent_dropout, training, return_sequences", [
    (0.2, 0.2, True, False),   # the classic configuration, training: one mask per gate
    (0.3, 0.0, True, True),    # input dropout only (LSTM/GRU: one mask shared by the gates)
    (0.0, 0.3, True, True),    # recurrent dropout only
    (0.2, 0.2, False, True),   # inference: no masks, one product per step
])
def test_same_outputs_and_gradients_as_keras(name, dropout, recurrent_dropout, training,
                                             return_sequences):
    stock, fast = twin_layers(name, dropout=dropout, recurrent_dropout=recurrent_dropout,
                              return_sequences=return_sequences)
    assert_same(output_and_gradients(fast, X, training),
                output_and_gradients(stock, X, training))


@pytest.mark.parametrize("name", CELLS)
def test_dropout_masks_are_applied_in_training(name):
    _, fast = twin_layers(name, dropout=0.5, recurrent_dropout=0.5)
    trained = output_and_gradients(fast, X, True)[0]
    inferred = output_and_gradients(fast, X, False)[0]
    assert not np.allclose(trained, inferred)


@pytest.mark.parametrize("options", [dict(go_backwards=True), dict(return_state=True)])
def test_other_options_still_match_keras(options):
    stock, fast = twin_layers("LSTM", dropout=0.2, recurrent_dropout=0.2, **options)
    assert_same(fast(X, training=True), stock(X, training=True))


def test_padding_mask_falls_back_to_keras_loop(monkeypatch):
    stock, fast = twin_layers("GRU")
    mask = np.arange(9)[None, :] >= np.array([[0], [3], [5], [8]])  # 'pre' padding
    monkeypatch.setattr(recurrent, "recurrence", None)  # the fast loop would now fail
    assert_same(fast(X, mask=mask, training=True), stock(X, mask=mask, training=True))


@pytest.mark.parametrize("name, batch, fast_loop", [
    ("SimpleRNN", 4, True), ("SimpleRNN", 256, True), ("SimpleRNN", 1024, False),
    ("LSTM", 4, True), ("LSTM", 128, True), ("LSTM", 256, False),
    ("GRU", 4, True), ("GRU", 1024, False),
])
def test_inference_loop_is_the_one_measured_faster(name, batch, fast_loop, monkeypatch):
    _, fast = twin_layers(name)
    x = np.resize(X, (batch, *X.shape[1:]))
    monkeypatch.setattr(recurrent, "recurrence", None)  # the fast loop would now fail
    if fast_loop:
        with pytest.raises(TypeError):
            fast(x, training=False)
    else:
        fast(x, training=False)


def test_model_uses_fast_layers_and_saves_keras_layers(tmp_path):
    config = Config(max_features=30, maxlen=6, embedding_dim=4, units=3, cell="gru")
    model = build_model(config)
    assert isinstance(model.get_layer("gru"), recurrent.GRU)
    ids = np.random.default_rng(1).integers(0, 30, (5, 6)).astype("int32")
    stock = stock_model(model, config)
    assert type(stock.get_layer("gru")) is keras.layers.GRU
    np.testing.assert_allclose(stock.predict(ids, verbose=0), model.predict(ids, verbose=0),
                               atol=1e-6)
    stock.save(tmp_path / "model.keras")
    with zipfile.ZipFile(tmp_path / "model.keras") as archive:
        saved = json.loads(archive.read("config.json"))
    assert "imdb_sentiment" not in json.dumps(saved)  # loads without this package
