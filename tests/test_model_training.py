import json

import numpy as np
import pytest

from imdb_sentiment import Classifier, Config, UserError, build_model, load_imdb, train
from imdb_sentiment.model import compile_model


@pytest.mark.parametrize("cell", ["simple_rnn", "lstm", "gru"])
def test_model_shapes_and_layers(cell):
    config = Config(cell=cell, max_features=50, maxlen=7, embedding_dim=4, units=3)
    model = build_model(config)
    assert [layer.name for layer in model.layers] == ["token_ids", "embedding", cell, "positive"]
    recurrent = model.get_layer(cell)
    assert (recurrent.dropout, recurrent.recurrent_dropout) == (0.0 + 0.2, 0.2)
    assert model.get_layer("embedding").input_dim == 50
    out = model.predict(np.zeros((5, 7), dtype="int32"), verbose=0)
    assert out.shape == (5, 1) and ((out > 0) & (out < 1)).all()
    assert not model.compiled  # building is not compiling: loading makes no optimizer
    assert compile_model(model, config).loss == "binary_crossentropy"


def test_classic_defaults():
    c = Config()
    assert (c.max_features, c.maxlen, c.batch_size, c.cell) == (20000, 80, 32, "simple_rnn")
    assert (c.embedding_dim, c.units, c.dropout, c.recurrent_dropout) == (128, 128, 0.2, 0.2)


@pytest.mark.parametrize("bad", [dict(maxlen=0), dict(dropout=-0.1), dict(cell="transformer"),
                                 dict(recurrent_dropout=1.0), dict(validation_split=1.0),
                                 dict(max_features=3), dict(batch_size=0)])
def test_out_of_range_options(bad):
    with pytest.raises(UserError):
        Config(**bad)


def test_tiny_model_learns_separable_toy_set(trained):
    h = trained.history
    assert set(h) == {"loss", "accuracy", "test_loss", "test_accuracy"}
    assert all(len(v) == trained.config.epochs for v in h.values())
    assert h["loss"][-1] < h["loss"][0]
    assert h["test_accuracy"][-1] >= 0.9
    assert trained.metrics["test_accuracy"] == h["test_accuracy"][-1]
    assert trained.predict("good great wonderful").label == "positive"
    assert trained.predict("bad awful terrible").label == "negative"


def test_one_epoch_changes_every_parameter(toy_archive, tiny_config):
    from dataclasses import replace

    import keras

    class Snapshot(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.before = [w.copy() for w in self.model.get_weights()]

    snapshot = Snapshot()
    classifier = train(load_imdb(toy_archive), replace(tiny_config, epochs=1), verbose=0,
                       callbacks=[snapshot])
    after = classifier.model.get_weights()
    # embedding; SimpleRNN kernel, recurrent kernel, bias; Dense kernel, bias
    assert len(snapshot.before) == len(after) == 6
    for w0, w1 in zip(snapshot.before, after, strict=True):
        assert not np.allclose(w0, w1), "a parameter did not change during training"


def test_same_seed_same_run(toy_archive, tiny_config):
    from dataclasses import replace

    config = replace(tiny_config, epochs=2)
    imdb = load_imdb(toy_archive)
    a, b = train(imdb, config, verbose=0), train(imdb, config, verbose=0)
    assert a.vocabulary == b.vocabulary
    assert a.history == b.history
    texts = imdb.test.texts[:10]
    np.testing.assert_array_equal(a.predict_proba(texts), b.predict_proba(texts))


def test_validation_split_keeps_test_out_of_choices(toy_archive, tiny_config):
    from dataclasses import replace

    config = replace(tiny_config, validation_split=0.25, epochs=4, patience=1)
    classifier = train(load_imdb(toy_archive), config, verbose=0)
    h = classifier.history
    assert {"val_loss", "val_accuracy", "test_loss", "test_accuracy"} <= set(h)
    best = int(np.argmin(h["val_loss"]))
    assert classifier.metrics["epoch"] == best + 1  # chosen by validation loss, not by test
    # the kept weights are the best epoch's: the final test figures are re-measured on them
    assert classifier.metrics["test_accuracy"] == pytest.approx(h["test_accuracy"][best], abs=1e-6)


def test_bundle_round_trip_gives_identical_predictions(trained, bundle):
    names = {p.name for p in bundle.iterdir()}  # other tests may add an evaluation/ folder
    assert names >= {"config.json", "curves.png", "history.json", "metrics.json", "model.keras",
                     "vocabulary.json"}
    meta = json.loads((bundle / "config.json").read_text())
    assert meta["format_version"] == 1 and meta["labels"] == ["negative", "positive"]
    assert meta["config"]["maxlen"] == trained.config.maxlen and "keras" in meta["versions"]
    loaded = Classifier.load(bundle)
    texts = ["good movie", "bad film", "", "the plot was great " * 20]
    np.testing.assert_allclose(loaded.predict_proba(texts), trained.predict_proba(texts), atol=1e-6)
    assert loaded.config == trained.config and loaded.vocabulary == trained.vocabulary
    assert loaded.history == trained.history


def test_bundle_refuses_to_overwrite_without_force(trained, bundle):
    with pytest.raises(UserError, match="already holds a bundle"):
        trained.save(bundle)
    trained.save(bundle, force=True)
    assert Classifier.load(bundle).config == trained.config
    assert not [p for p in bundle.parent.iterdir() if p.name.startswith(".")]  # no leftovers


def test_interrupted_save_leaves_nothing_that_looks_finished(trained, tmp_path, monkeypatch):
    import imdb_sentiment.bundle as bundle_module

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(bundle_module, "_write_json", fail)
    with pytest.raises(KeyboardInterrupt):
        trained.save(tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


def test_loading_is_safe_mode(bundle, monkeypatch):
    import keras

    seen = {}
    real = keras.saving.load_model

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(keras.saving, "load_model", spy)
    Classifier.load(bundle)  # read by models/keras_file.py: zip, JSON and HDF5 arrays only
    assert not seen
    monkeypatch.setenv("IMDB_SENTIMENT_INFERENCE", "keras")  # Keras's own reader
    Classifier.load(bundle)
    assert seen.get("safe_mode") is True
