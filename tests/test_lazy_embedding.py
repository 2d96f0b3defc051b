"""The lazy embedding update: Adam on the looked-up rows only, everything else as in ``fit``."""

import json
import zipfile

import keras
import numpy as np
import pytest
from click.testing import CliRunner

from imdb_sentiment import Classifier, Config, build_model
from imdb_sentiment.cli import main
from imdb_sentiment.errors import UserError
from imdb_sentiment.lazy_embedding import LazyEmbeddingModel, check_optimizer, lazy_adam_rows
from imdb_sentiment.model import compile_model

ADAM = dict(learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7)
TINY = dict(max_features=300, maxlen=20, embedding_dim=8, units=8)


def reference_lazy_adam(table, m, v, ids, d_vectors, step):
    """The definition, row by row in numpy."""
    table, m, v = table.copy(), m.copy(), v.copy()
    ids, d_vectors = ids.reshape(-1), d_vectors.reshape(ids.size, -1)
    b1, b2 = ADAM["beta_1"], ADAM["beta_2"]
    alpha = ADAM["learning_rate"] * np.sqrt(1 - b2**step) / (1 - b1**step)
    for row in np.unique(ids):
        g = d_vectors[ids == row].sum(axis=0)
        m[row] = b1 * m[row] + (1 - b1) * g
        v[row] = b2 * v[row] + (1 - b2) * g * g
        table[row] -= alpha * m[row] / (np.sqrt(v[row]) + ADAM["epsilon"])
    return table, m, v


def test_rows_update_matches_definition_with_repeated_ids():
    rng = np.random.default_rng(0)
    table, m = rng.normal(size=(50, 4)), rng.normal(size=(50, 4)) * 1e-2
    v = np.abs(rng.normal(size=(50, 4))) * 1e-4
    ids = rng.integers(0, 20, size=(3, 10)).astype("int32")  # many repeats, rows 20-49 unused
    d_vectors = rng.normal(size=(3, 10, 4))
    table, m, v, d_vectors = (a.astype("float32") for a in (table, m, v, d_vectors))

    got = lazy_adam_rows(table, m, v, ids, d_vectors, step=3.0, **ADAM)
    want = reference_lazy_adam(table, m, v, ids, d_vectors, step=3)
    for g, w, before in zip(got, want, (table, m, v), strict=True):
        np.testing.assert_allclose(np.asarray(g), w, rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(np.asarray(g)[20:], before[20:])  # untouched rows


def fit_steps(embedding_update: str, x, y, steps: int) -> keras.Model:
    keras.utils.set_random_seed(1)
    config = Config(**TINY, embedding_update=embedding_update)
    model = compile_model(build_model(config), config)
    model.fit(x[: 16 * steps], y[: 16 * steps], batch_size=16, verbose=0, shuffle=False)
    return model


def test_lazy_fit_is_keras_fit_except_for_rows_the_batch_did_not_use():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 300, size=(32, 20)).astype("int32")
    y = rng.integers(0, 2, size=32).astype("float32")
    assert isinstance(fit_steps("lazy", x, y, 1), LazyEmbeddingModel)

    # step 1 from zero moments: a dense Adam moves no unused row either, so all agree exactly
    dense, lazy = fit_steps("dense", x, y, 1), fit_steps("lazy", x, y, 1)
    for a, b in zip(dense.get_weights(), lazy.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)

    # step 2: rows used in step 1 but not in step 2 keep moving under dense Adam only
    after_one = lazy.get_weights()[0]
    dense, lazy = fit_steps("dense", x, y, 2), fit_steps("lazy", x, y, 2)
    for a, b in zip(dense.get_weights()[1:], lazy.get_weights()[1:], strict=True):
        np.testing.assert_array_equal(a, b)  # the recurrent and output weights: Keras's Adam
    unused = np.setdiff1d(np.arange(300), x[16:32])
    used_before = np.intersect1d(unused, x[:16])
    table_dense, table_lazy = dense.get_weights()[0], lazy.get_weights()[0]
    np.testing.assert_array_equal(table_lazy[unused], after_one[unused])
    assert not np.allclose(table_dense[used_before], after_one[used_before])
    used = np.unique(x[16:32])
    np.testing.assert_allclose(table_lazy[used], table_dense[used], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("optimizer", [keras.optimizers.SGD(), keras.optimizers.Adam(clipnorm=1.0),
                                       keras.optimizers.AdamW()])
def test_other_optimizers_are_refused_in_one_line(optimizer):
    with pytest.raises(UserError, match="needs a plain Adam optimizer"):
        check_optimizer(optimizer)


def test_frozen_table_is_refused_in_one_line():
    config = Config(**TINY, embedding_update="lazy")
    model = compile_model(build_model(config), config)
    model.get_layer("embedding").trainable = False
    model.compile(optimizer="adam", loss="binary_crossentropy")
    with pytest.raises(UserError, match="needs a trainable embedding table"):
        model.fit(np.zeros((4, 20), "int32"), np.zeros(4, "float32"), verbose=0)


def test_cli_option_trains_and_saves_a_stock_model(toy_archive, tmp_path):
    out = tmp_path / "run"
    result = CliRunner().invoke(main, [
        "train", "--data", str(toy_archive), "--output", str(out), "--embedding-update", "lazy",
        "--max-features", "40", "--maxlen", "16", "--embedding-dim", "8", "--units", "8",
        "--batch-size", "16", "--epochs", "1", "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "config.json").read_text())["config"]["embedding_update"] == "lazy"
    with zipfile.ZipFile(out / "model.keras") as archive:  # loads with plain Keras
        assert "LazyEmbeddingModel" not in archive.read("config.json").decode()
    # loading builds the plain inference model: no optimizer, no lazy train_step (REVIEW 3.1)
    loaded = Classifier.load(out)
    assert not loaded.model.compiled and not isinstance(loaded.model, LazyEmbeddingModel)
    assert loaded.predict("good").label in ("positive", "negative")
    bad = CliRunner().invoke(main, ["train", "--embedding-update", "sparse"])
    assert bad.exit_code != 0 and "'sparse' is not one of" in bad.output
