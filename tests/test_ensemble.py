"""The ensemble kind (the ``best`` preset) on the toy archive: both members on one split, the
weights fitted on its validation rows (never the test set), a bundle of sub-bundles that loads
without an optimizer, predictions and explanations as the weighted sum of the members'."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.special import expit, logit

from imdb_sentiment import Classifier, Config, load_imdb, train
from imdb_sentiment.models import ensemble as ensemble_module


@pytest.fixture(scope="module")
def patch():
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield monkeypatch


@pytest.fixture(scope="module")
def imdb(toy_archive):
    return load_imdb(toy_archive)


@pytest.fixture(scope="module")
def fitted_on(patch, tmp_path_factory):
    """Records the labels ``fit_weights`` is given."""
    patch.setenv("IMDB_SENTIMENT_CACHE", str(tmp_path_factory.mktemp("cache")))
    seen = []
    original = ensemble_module.fit_weights

    def recording(logits, labels):
        seen.append((np.array(logits), np.array(labels)))
        return original(logits, labels)

    patch.setattr(ensemble_module, "fit_weights", recording)
    return seen


@pytest.fixture(scope="module")
def best(imdb, fitted_on):
    config = Config.preset("best", max_features=60, maxlen=24, embedding_dim=8, units=8,
                           batch_size=16, epochs=3, learning_rate=0.02, pretrain_epochs=1,
                           seed=5)
    return train(imdb, config, verbose=0)


def test_weights_are_fitted_on_the_validation_rows_only(best, imdb, fitted_on):
    from imdb_sentiment.models.birnn_training import split

    assert len(fitted_on) == 1
    logits, labels = fitted_on[0]
    _, val_rows = split(len(imdb.train), best.config)
    np.testing.assert_array_equal(labels, imdb.train.labels[val_rows])
    assert len(labels) == 40 != len(imdb.test)
    # the member logits are those of the validation reviews
    birnn = best.kind_model.members["birnn"]
    val_texts = [imdb.train.texts[i] for i in val_rows]
    np.testing.assert_allclose(logits[:, 0], birnn.raw_logits(birnn.encode(val_texts)),
                               atol=1e-4)
    weights = best.metrics["weights"]
    assert set(weights) == {"birnn", "nbsvm"}
    assert best.metrics["test_accuracy"] > 0.8


def test_nbsvm_is_refitted_on_every_training_review_after_the_weights(best, imdb):
    """The weights come from nbsvm fitted on the fit rows; the bundle's nbsvm saw them all."""
    from imdb_sentiment.models.linear import NBSVM
    from imdb_sentiment.text import tokenize

    nbsvm = best.kind_model.members["nbsvm"]
    assert nbsvm.config.ngrams == 3 and nbsvm.config.calibration == "none"
    everything = NBSVM.fit([tokenize(t) for t in imdb.train.texts], imdb.train.labels,
                           nbsvm.config)
    assert len(everything.vocabulary) == len(nbsvm.vocabulary)
    np.testing.assert_allclose(everything.weights, nbsvm.weights, rtol=1e-6, atol=1e-9)


def test_predicts_the_weighted_sum_of_member_logits(best):
    model = best.kind_model
    texts = ["good great fun", "bad awful", ""]
    z = model.member_logits(texts)
    expected = expit(z @ model.weights + model.bias)
    np.testing.assert_allclose(best.predict_proba(texts), expected, atol=1e-6)


def test_bundle_holds_both_members_and_loads_without_optimizer(best, tmp_path):
    path = best.save(tmp_path / "best")
    meta = json.loads((path / "ensemble.json").read_text())
    assert sorted(meta["members"]) == ["birnn", "nbsvm"]
    assert (path / "birnn" / "model.keras").is_file() and (path / "nbsvm" / "nbsvm.npz").is_file()
    loaded = Classifier.load(path)
    assert loaded.kind == "ensemble"
    assert not loaded.kind_model.members["birnn"].model.compiled
    texts = ["good fun", "bad boring", "movie"]
    np.testing.assert_allclose(loaded.predict_proba(texts), best.predict_proba(texts),
                               atol=1e-6)


def test_explanation_is_the_weighted_sum_of_member_explanations(best):
    model = best.kind_model
    text = "good movie but bad ending"
    explanation = best.explain(text)
    assert [t.token for t in explanation.tokens] == text.split()
    _, _, deltas, _ = model.members["birnn"].occlusion([text])[0]
    exact = model.members["nbsvm"].explain([text], "exact")[0]
    terms = model.weights[0] * deltas + model.weights[1] * np.array(
        [t.contribution for t in exact.tokens])
    p = explanation.prediction.probability
    expected = p - expit(logit(p) - terms)
    np.testing.assert_allclose([t.contribution for t in explanation.tokens], expected,
                               atol=1e-5)
    by_token = {t.token: t.contribution for t in explanation.tokens}
    assert by_token["good"] > 0 > by_token["bad"]


def test_cli_trains_best_then_predicts_explains_and_evaluates(toy_archive, tmp_path, fitted_on):
    from click.testing import CliRunner

    from imdb_sentiment.cli import main

    def run(*args):
        return CliRunner().invoke(main, [str(a) for a in args], terminal_width=200)

    out = tmp_path / "best"
    tiny = ["--max-features", 60, "--maxlen", 24, "--embedding-dim", 8, "--units", 8,
            "--batch-size", 16, "--epochs", 2, "--learning-rate", 0.02, "--pretrain-epochs", 1]
    result = run("train", "--preset", "best", *tiny, "--data", toy_archive, "--output", out,
                 "-q")
    assert result.exit_code == 0, result.output
    assert "Test accuracy:" in result.output
    assert json.loads((out / "config.json").read_text())["kind"] == "ensemble"
    assert "ensemble" in (out / "MODEL_CARD.md").read_text()
    predicted = run("predict", out, "good good fun", "bad awful", "--explain")
    assert predicted.exit_code == 0, predicted.output
    assert "positive" in predicted.output and "negative" in predicted.output
    evaluated = run("evaluate", out, "--data", toy_archive)
    assert evaluated.exit_code == 0, evaluated.output
    assert "ece" in evaluated.output.lower()


def test_a_bundle_missing_a_member_file_is_refused_in_one_line(best, tmp_path):
    from imdb_sentiment import UserError

    path = best.save(tmp_path / "broken")
    (path / "birnn" / "model.keras").unlink()
    with pytest.raises(UserError, match="is damaged: member birnn has no model.keras"):
        Classifier.load(path)


def test_the_server_serves_an_ensemble_bundle(best, tmp_path):
    """The server answers as the loaded bundle does, explains by the weighted sum, and names
    the model by a hash over both members and the weights."""
    from fastapi.testclient import TestClient

    from imdb_sentiment.serve import create_app

    path = best.save(tmp_path / "best")
    loaded = Classifier.load(path)
    texts = ["a wonderful film", "a dull plot"]
    with TestClient(create_app(loaded)) as client:
        answer = client.post("/v1/predict", json={"texts": texts})
        assert answer.status_code == 200, answer.text
        assert [p["probability"] for p in answer.json()["predictions"]] == pytest.approx(
            [p.probability for p in loaded.predict(texts)], abs=1e-6)
        explained = client.post("/v1/predict", json={"text": texts[0], "explain": True})
        assert explained.status_code == 200, explained.text
        first = client.get("/v1/model").json()["sha256"]
    other = Classifier.load(path)
    other.kind_model.weights = other.kind_model.weights * 2
    with TestClient(create_app(other)) as client:
        assert client.get("/v1/model").json()["sha256"] != first


def test_force_replaces_an_ensemble_bundle_and_keeps_the_users_files(best, tmp_path):
    """The members' folders are the tool's: a second save replaces them, a user's file stays."""
    path = best.save(tmp_path / "best")
    (path / "notes.txt").write_text("mine")
    best.save(path, force=True)
    assert (path / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in (path / "birnn").iterdir()) == sorted(
        p.name for p in (tmp_path / "best" / "birnn").iterdir())
    assert not (path / "birnn" / "birnn").exists()  # the old member not carried inside the new
    assert Classifier.load(path).predict_proba(["a fine film"]).shape == (1,)
