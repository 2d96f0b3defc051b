"""The NumPy path of the recurrent kind: the same probabilities as Keras, and Keras for the rest.

Tolerance: float32 probabilities whose sums run in another order than XLA's, through 16-80
tanh/sigmoid steps; rounding differences measured here are 1e-7 to 1e-6 (the real classic
bundle over the 25,000 test reviews: bench/cold_predict.py), so 1e-5 absolute leaves a margin
and still fails for any wrong gate order, bias or activation (those move them by 1e-2 or more).
"""

from __future__ import annotations

import io
import json
import shutil
import zipfile

import h5py
import keras
import numpy as np
import pytest

from imdb_sentiment import Classifier, Config, load_imdb, train
from imdb_sentiment.errors import UserError
from imdb_sentiment.model import build_model, stock_model
from imdb_sentiment.models.keras_file import read_weights
from imdb_sentiment.models.numpy_rnn import CHUNK, NumpyRNN
from imdb_sentiment.serve.model_info import content_hash

ATOL = 1e-5
CELLS = ["simple_rnn", "lstm", "gru"]


def _random_model(cell: str, scale: float = 0.6):
    """Weights far from initialization (larger, biases non-zero), so every gate matters."""
    config = Config(max_features=50, maxlen=12, embedding_dim=6, units=5, cell=cell)
    model = build_model(config)
    rng = np.random.default_rng(CELLS.index(cell))
    model.set_weights([rng.normal(0, scale, w.shape).astype(np.float32)
                       for w in model.get_weights()])
    return model, config


@pytest.mark.parametrize("cell", CELLS)
def test_numpy_equals_keras_on_random_weights(cell):
    model, config = _random_model(cell)
    rng = np.random.default_rng(1)
    for rows in (1, 7, CHUNK + 3):  # several chunks; Keras's own loop above 128-256 rows
        ids = rng.integers(0, config.max_features, (rows, config.maxlen)).astype(np.int32)
        expected = model.predict_on_batch(ids)[:, 0]
        got = NumpyRNN(cell, model.get_weights())(ids)
        assert got.dtype == np.float32 and got.shape == (rows,)
        np.testing.assert_allclose(got, expected, atol=ATOL, rtol=0)
        assert rows == 1 or np.ptp(expected) > 0.1  # spread out: the test can see a gate


@pytest.mark.parametrize("cell", CELLS)
def test_a_wrong_gate_order_would_be_seen(cell):
    """The tolerance is far below what a mistake moves: swapping two gate blocks fails."""
    model, config = _random_model(cell)
    if cell == "simple_rnn":
        return
    ids = np.random.default_rng(2).integers(0, 50, (64, 12)).astype(np.int32)
    weights = model.get_weights()
    units = config.units
    swapped = [w.copy() for w in weights]
    for k in (1, 2):  # kernel and recurrent kernel: swap the first two gate blocks
        swapped[k][:, :units], swapped[k][:, units:2 * units] = (
            weights[k][:, units:2 * units], weights[k][:, :units])
    difference = NumpyRNN(cell, swapped)(ids) - model.predict_on_batch(ids)[:, 0]
    assert np.abs(difference).max() > 100 * ATOL


@pytest.fixture(scope="module", params=CELLS)
def cell_bundle(request, toy_archive, tmp_path_factory):
    config = Config(max_features=40, maxlen=16, embedding_dim=8, units=8, batch_size=16,
                    epochs=2, learning_rate=0.05, seed=7, cell=request.param)
    data = load_imdb(toy_archive)
    classifier = train(data, config, verbose=0)
    path = classifier.save(tmp_path_factory.mktemp("bundles") / request.param)
    return path, data.test.texts, classifier


def test_loaded_bundle_scores_in_numpy_as_keras_does(cell_bundle, monkeypatch):
    from imdb_sentiment.models import rnn

    path, texts, trained = cell_bundle
    loaded = Classifier.load(path)
    assert loaded.kind_model._numpy is not None  # read without Keras
    probabilities = loaded.predict_proba(texts[:50])
    assert loaded.kind_model._keras is None  # ... and scored without it
    np.testing.assert_allclose(probabilities, trained.predict_proba(texts[:50]), atol=ATOL)
    monkeypatch.setenv("IMDB_SENTIMENT_INFERENCE", "keras")
    by_keras = Classifier.load(path)
    assert by_keras.kind_model._numpy is None
    np.testing.assert_allclose(probabilities, by_keras.predict_proba(texts[:50]), atol=ATOL)
    assert content_hash(loaded) == content_hash(by_keras)  # the same model, the same hash
    # past KERAS_AFTER_ROWS reviews, Keras is loaded, from the same weights
    monkeypatch.setitem(rnn.KERAS_AFTER_ROWS, loaded.config.cell, 60)
    np.testing.assert_allclose(loaded.predict_proba(texts[:50]), probabilities, atol=ATOL)
    assert loaded.kind_model._keras is not None
    np.testing.assert_allclose(loaded.predict_proba(texts[:50]), probabilities, atol=ATOL)


def test_occlusion_in_numpy_and_integrated_gradients_import_keras(cell_bundle):
    path, texts, trained = cell_bundle
    loaded = Classifier.load(path)
    explained = loaded.explain(texts[:3])
    assert loaded.kind_model._keras is None
    for ours, theirs in zip(explained, trained.explain(texts[:3]), strict=True):
        assert [t.token for t in ours.tokens] == [t.token for t in theirs.tokens]
        np.testing.assert_allclose([t.contribution for t in ours.tokens],
                                   [t.contribution for t in theirs.tokens], atol=2 * ATOL)
    loaded.explain(texts[:1], method="integrated_gradients")
    assert loaded.kind_model._keras is not None


def test_bad_inference_mode_is_one_line(bundle, monkeypatch):
    monkeypatch.setenv("IMDB_SENTIMENT_INFERENCE", "fast")
    with pytest.raises(UserError, match="IMDB_SENTIMENT_INFERENCE='fast'"):
        Classifier.load(bundle)


# --- what the reader does not know goes to Keras; what it knows and is wrong is refused -------

def _rewrite(path, *, layers=None, weights=None):
    """Rewrite ``path/model.keras`` with ``layers(config_json)`` and ``weights(h5_file)``
    applied."""
    source = path / "model.keras"
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if layers:
        model = json.loads(members["config.json"])
        layers(model["config"]["layers"])
        members["config.json"] = json.dumps(model).encode()
    if weights:
        buffer = io.BytesIO(members["model.weights.h5"])
        with h5py.File(buffer, "r+") as file:
            weights(file)
        members["model.weights.h5"] = buffer.getvalue()
    with zipfile.ZipFile(source, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("change", [
    lambda layers: layers[1]["config"].update(mask_zero=True),
    lambda layers: layers[3]["config"].update(activation="linear"),
    lambda layers: layers[2]["config"].update(go_backwards=True),
    lambda layers: layers[2]["config"].update(a_setting_from_a_later_keras=1),
    lambda layers: layers[2].update(class_name="Bidirectional"),
])
def test_an_unknown_architecture_is_left_to_keras(bundle, tmp_path, change):
    copy = shutil.copytree(bundle, tmp_path / "b")
    _rewrite(copy, layers=change)
    assert read_weights(copy, Classifier.load(bundle).config) is None


def test_a_file_the_reader_does_not_know_is_loaded_as_before(bundle, tmp_path, monkeypatch):
    """mask_zero would change the function: the NumPy path leaves the file to the Keras path,
    which loads it as it always has."""
    copy = shutil.copytree(bundle, tmp_path / "b")
    _rewrite(copy, layers=lambda layers: layers[1]["config"].update(mask_zero=True))
    loaded = Classifier.load(copy)
    assert loaded.kind_model._numpy is None
    monkeypatch.setenv("IMDB_SENTIMENT_INFERENCE", "keras")
    ids = loaded.encode(["good", "bad film", ""])
    np.testing.assert_array_equal(loaded.predict_ids(ids), Classifier.load(copy).predict_ids(ids))


def test_the_strong_kinds_bidirectional_model_is_not_read(tmp_path):
    config = Config(max_features=30, maxlen=6, embedding_dim=4, units=3, cell="gru")
    ids = keras.Input(shape=(6,), dtype="int32")
    vectors = keras.layers.Embedding(30, 4, mask_zero=True)(ids)
    state = keras.layers.Bidirectional(keras.layers.GRU(3))(vectors)
    keras.Model(ids, keras.layers.Dense(1, activation="sigmoid")(state)).save(
        tmp_path / "model.keras")
    assert read_weights(tmp_path, config) is None


def test_non_finite_or_misshapen_weights_are_refused(bundle, tmp_path):
    config = Classifier.load(bundle).config
    nan = shutil.copytree(bundle, tmp_path / "nan")

    def poison(file):
        data = file["layers/dense/vars/0"][()]
        data[0, 0] = np.nan
        file["layers/dense/vars/0"][...] = data

    _rewrite(nan, weights=poison)
    with pytest.raises(UserError, match="not finite numbers"):
        read_weights(nan, config)
    narrow = shutil.copytree(bundle, tmp_path / "narrow")

    def shrink(file):
        data = file["layers/dense/vars/0"][()]
        del file["layers/dense/vars/0"]
        file["layers/dense/vars"].create_dataset("0", data=data[:-1])

    _rewrite(narrow, weights=shrink)
    with pytest.raises(UserError, match="does not match config.json"):
        read_weights(narrow, config)


def test_a_stock_keras_file_reads_the_same_weights(tmp_path):
    model, config = _random_model("lstm")
    stock_model(model, config).save(tmp_path / "model.keras")
    for ours, theirs in zip(read_weights(tmp_path, config), model.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_links_out_of_the_file_are_not_followed(bundle, tmp_path):
    """An HDF5 link to another file (or a soft link) is not read: the file is left to Keras."""
    config = Classifier.load(bundle).config
    other = tmp_path / "elsewhere.h5"
    with h5py.File(other, "w") as file:
        file["w"] = np.zeros((config.units, 1), np.float32)
    for name, link in (("external", h5py.ExternalLink(str(other), "w")),
                       ("soft", h5py.SoftLink("/layers/dense/vars/1"))):
        copy = shutil.copytree(bundle, tmp_path / name)

        def relink(file, link=link):
            del file["layers/dense/vars/0"]
            file["layers/dense/vars/0"] = link

        _rewrite(copy, weights=relink)
        assert read_weights(copy, config) is None
