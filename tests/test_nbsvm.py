"""The nbsvm kind and the kind registry on the toy data: bundle round trip, exact explanations,
no code run at load, the commands, one-line refusals."""

import json
import pickle
import shutil
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.special import logit

from imdb_sentiment import Classifier, Config, Explanation, load_imdb, train
from imdb_sentiment.cli import main
from imdb_sentiment.models.ngrams import NgramVocabulary

REVIEWS = ["the movie was good", "awful plot and a boring actor", "great, wonderful film",
           "the film was bad", "", "good good bad, the end"]


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def nbsvm(toy_archive):
    return train(load_imdb(toy_archive), Config.preset("nbsvm", seed=3), verbose=0)


@pytest.fixture(scope="module")
def nbsvm_bundle(nbsvm, tmp_path_factory):
    return nbsvm.save(tmp_path_factory.mktemp("bundles") / "nbsvm")


def test_learns_the_toy_set_and_reports_its_figures(nbsvm):
    assert nbsvm.kind == "nbsvm"
    assert [p.label for p in nbsvm.predict(REVIEWS[:4])] == [
        "positive", "negative", "positive", "negative"]
    m = nbsvm.metrics
    assert m["test_accuracy"] >= 0.9 and m["val_reviews"] == 40  # 20% of 200 held out
    assert 0 <= m["test_ece"] <= 1 and 0 <= m["test_brier"] <= 1 and m["train_seconds"] > 0


def test_bundle_round_trip_and_its_files(nbsvm, nbsvm_bundle):
    names = {p.name for p in nbsvm_bundle.iterdir()}
    assert {"config.json", "nbsvm.npz", "ngrams.json", "calibration.json", "metrics.json"} \
        <= names and "model.keras" not in names
    meta = json.loads((nbsvm_bundle / "config.json").read_text())
    assert meta["kind"] == "nbsvm" and meta["config"]["kind"] == "nbsvm"
    loaded = Classifier.load(nbsvm_bundle)
    np.testing.assert_array_equal(loaded.predict_proba(REVIEWS), nbsvm.predict_proba(REVIEWS))
    assert loaded.config == nbsvm.config and loaded.metrics == nbsvm.metrics
    assert loaded.vocabulary.ngrams == nbsvm.vocabulary.ngrams


def test_explanations_add_up_exactly_to_the_logit(nbsvm):
    model = nbsvm.kind_model
    logits = model.logit(nbsvm.encode(REVIEWS))  # float64, before the float32 probability
    intercept = logits[REVIEWS.index("")]
    for text, explanation, value in zip(REVIEWS, nbsvm.explain(REVIEWS), logits, strict=True):
        assert isinstance(explanation, Explanation)
        assert [t.token for t in explanation.tokens] == text.replace(",", "").split()
        assert all(t.seen for t in explanation.tokens)
        assert sum(t.contribution for t in explanation.tokens) == pytest.approx(
            value - intercept, abs=1e-9)
        assert sum(c for _, c in model.ngram_contributions(text)) == pytest.approx(
            value - intercept, abs=1e-9)
        assert explanation.prediction == nbsvm.predict(text)
    assert logit(np.float64(nbsvm.predict("").probability)) == pytest.approx(intercept, abs=1e-6)
    top = nbsvm.explain("the movie was good").top(1)[0]
    assert top.token == "good" and top.contribution > 0
    assert nbsvm.explain("the film was bad").top(1)[0].token == "bad"


def test_an_ngram_repeated_shares_its_one_weight(nbsvm):
    """Features are binary: "good" twice counts once, so each occurrence gets half of it (and
    half of the bigram "good good", when the vocabulary has it)."""
    once, twice = nbsvm.explain(["good", "good good"])
    terms = dict(nbsvm.kind_model.ngram_contributions("good good"))
    assert terms["good"] == pytest.approx(once.tokens[0].contribution)
    share = (terms["good"] + terms.get("good good", 0.0)) / 2
    assert [t.contribution for t in twice.tokens] == pytest.approx([share, share])


def test_loading_runs_no_pickle_and_imports_no_keras(nbsvm_bundle, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("pickle used while loading a bundle")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    assert Classifier.load(nbsvm_bundle).predict("good").label == "positive"
    code = ("import sys; from imdb_sentiment import Classifier; "
            f"c = Classifier.load({str(nbsvm_bundle)!r}); c.explain('good film'); "
            "assert 'keras' not in sys.modules and 'jax' not in sys.modules, 'imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_predict_explain_and_evaluate_commands(nbsvm, nbsvm_bundle, toy_archive, tmp_path):
    result = run("predict", nbsvm_bundle, *REVIEWS[:2])
    assert result.exit_code == 0, result.output
    assert "positive" in result.output.splitlines()[1]
    assert "negative" in result.output.splitlines()[2]
    result = run("predict", nbsvm_bundle, "--explain", "--top", "1", "the movie was good")
    assert result.exit_code == 0, result.output
    assert "[+good]" in result.output
    result = run("predict", nbsvm_bundle, "--explain", "--method", "exact", "the film was bad")
    assert result.exit_code == 0 and "[-bad]" in result.output
    out = tmp_path / "report"
    result = run("evaluate", nbsvm_bundle, "--data", toy_archive, "--output-dir", out)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["accuracy"] == pytest.approx(nbsvm.metrics["test_accuracy"])
    assert metrics["ece"] == pytest.approx(nbsvm.metrics["test_ece"])
    assert metrics["brier"] == pytest.approx(nbsvm.metrics["test_brier"])
    assert (out / "reliability.png").stat().st_size > 1000
    assert any(line.split()[:1] == ["ece"] for line in result.output.splitlines())


def assert_one_line_error(result, message):
    assert result.exit_code == 1, result.output
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_a_recurrent_method_is_refused_for_nbsvm(nbsvm_bundle):
    assert_one_line_error(run("predict", nbsvm_bundle, "--explain", "--method", "occlusion",
                              "good"),
                          "nbsvm models explain by exact, not occlusion")


def test_unknown_kind_is_refused_in_one_line(nbsvm_bundle, tmp_path):
    odd = shutil.copytree(nbsvm_bundle, tmp_path / "odd")
    meta = json.loads((odd / "config.json").read_text())
    meta["kind"] = "transformer"
    (odd / "config.json").write_text(json.dumps(meta))
    assert_one_line_error(run("predict", odd, "good"),
                          "holds a model of kind 'transformer', which this version of "
                          "imdb-sentiment does not know (it knows birnn, ensemble, nbsvm, "
                          "recurrent)")
    missing = shutil.copytree(nbsvm_bundle, tmp_path / "missing")
    (missing / "ngrams.json").unlink()
    assert_one_line_error(run("predict", missing, "good"), "is missing ngrams.json")


def test_a_bundle_from_before_kinds_is_recurrent_and_loads_uncompiled(bundle, trained, tmp_path):
    old = shutil.copytree(bundle, tmp_path / "old")
    meta = json.loads((old / "config.json").read_text())
    del meta["kind"], meta["config"]["kind"]
    (old / "config.json").write_text(json.dumps(meta))
    loaded = Classifier.load(old)
    assert loaded.kind == "recurrent" and not loaded.model.compiled  # no optimizer on load
    # equal up to float32 rounding: small batches are scored in NumPy (models/numpy_rnn.py)
    np.testing.assert_allclose(loaded.predict_proba(REVIEWS), trained.predict_proba(REVIEWS),
                               atol=1e-5, rtol=0)


def test_ngram_features_equal_scikit_learns():
    from sklearn.feature_extraction.text import CountVectorizer

    docs = [["a", "b", "c", "a", "b"], ["b", "c"], [], ["d", "a", "b", "z"], ["a"]]

    def grams(tokens, n=3):
        return [" ".join(tokens[i:i + k]) for k in range(1, n + 1)
                for i in range(len(tokens) - k + 1)]

    for n in (1, 2, 3):
        for min_df in (1, 2):
            vocabulary, features = NgramVocabulary.fit(docs, n, min_df)
            reference = CountVectorizer(analyzer=lambda t, n=n: grams(t, n), binary=True,
                                        min_df=min_df)
            expected = reference.fit_transform(docs)
            names = list(reference.get_feature_names_out())
            assert sorted(names) == sorted(vocabulary.ngrams)
            order = [names.index(g) for g in vocabulary.ngrams]
            np.testing.assert_array_equal(features.toarray(), expected[:, order].toarray())
            again = NgramVocabulary.from_json(vocabulary.to_json())
            unseen = [["a", "b", "q", "b", "c"], ["z", "z"]]
            np.testing.assert_array_equal(again.transform(unseen).toarray(),
                                          reference.transform(unseen)[:, order].toarray())


def test_threshold_and_neutral_band(nbsvm, nbsvm_bundle, tmp_path):
    p = nbsvm.predict_proba(REVIEWS)
    cut = nbsvm.with_cut(0.9, (0.3, 0.7))
    expected = ["neutral" if 0.3 <= q <= 0.7 else "positive" if q >= 0.9 else "negative"
                for q in p]
    assert [x.label for x in cut.predict(REVIEWS)] == expected
    assert [e.prediction.label for e in cut.explain(REVIEWS)] == expected
    assert [x.label for x in nbsvm.predict(REVIEWS)] == [  # the original keeps 0.5
        "positive" if q >= 0.5 else "negative" for q in p]
    out = tmp_path / "scored.csv"
    result = run("predict", nbsvm_bundle, "--neutral", "0:1", "-o", out, *REVIEWS[:3])
    assert result.exit_code == 0, result.output
    assert out.read_text().count(",neutral,") == 3
    result = run("predict", nbsvm_bundle, "--threshold", "0", "the film was bad")
    assert result.exit_code == 0 and "positive" in result.output
    assert_one_line_error(run("predict", nbsvm_bundle, "--neutral", "0.6:0.4", "good"),
                          "--neutral 0.6:0.4: needs 0 <= LOW <= HIGH <= 1")
    assert_one_line_error(run("predict", nbsvm_bundle, "--neutral", "half", "good"),
                          "--neutral takes LOW:HIGH, like 0.4:0.6, not 'half'")


@pytest.mark.parametrize("name, content, says", [
    ("nbsvm.npz", b"not a zip file", "is damaged: nbsvm.npz cannot be read"),
    # bytes that are no .npz: numpy takes them for a pickle; the message must not suggest
    # loading it unsafely
    ("nbsvm.npz", b"\x80\x04garbage", "is damaged: nbsvm.npz cannot be read (not an .npz"),
    ("ngrams.json", b"{bad", "ngrams.json"),
    ("ngrams.json", b'{"n": 2}', "is damaged: ngrams.json or calibration.json is not"),
    ("calibration.json", b"[]", "is damaged: ngrams.json or calibration.json is not"),
])
def test_a_damaged_file_is_one_line(nbsvm_bundle, tmp_path, name, content, says):
    broken = shutil.copytree(nbsvm_bundle, tmp_path / "broken")
    (broken / name).write_bytes(content)
    result = run("predict", broken, "good")
    assert_one_line_error(result, says)
    assert "allow_pickle" not in result.output and "unsafe" not in result.output


def test_non_finite_weights_are_refused(nbsvm_bundle, tmp_path):
    broken = shutil.copytree(nbsvm_bundle, tmp_path / "broken")
    with np.load(broken / "nbsvm.npz") as arrays:
        saved = dict(arrays)
    saved["weights"][0] = np.nan
    np.savez(broken / "nbsvm.npz", **saved)
    assert_one_line_error(run("predict", broken, "good"), "not finite numbers")


def test_replacing_an_nbsvm_bundle_keeps_the_users_files(nbsvm, nbsvm_bundle, tmp_path):
    target = shutil.copytree(nbsvm_bundle, tmp_path / "kept")
    (target / "notes").mkdir()
    (target / "notes" / "why.txt").write_text("mine")
    nbsvm.save(target, force=True)
    assert (target / "notes" / "why.txt").read_text() == "mine"
    assert Classifier.load(target).kind == "nbsvm"


def test_every_bundle_carries_a_model_card(nbsvm_bundle, bundle):
    card = (nbsvm_bundle / "MODEL_CARD.md").read_text()
    assert card.startswith("# imdb-sentiment model: nbsvm (preset `nbsvm`)")
    for heading in ("## Data", "## Settings", "## Test figures", "## Calibration",
                    "## Intended use", "## Known limits"):
        assert heading in card
    assert "- `ngrams`: 2" in card and "accuracy:" in card
    recurrent = (bundle / "MODEL_CARD.md").read_text()
    assert recurrent.startswith("# imdb-sentiment model: recurrent") and "- `maxlen`:" in recurrent


def test_the_server_serves_an_nbsvm_bundle(nbsvm_bundle):
    """Every kind is served: predict, explain (exact) and the model's identity at /v1/model."""
    from fastapi.testclient import TestClient

    from imdb_sentiment.serve import create_app

    classifier = Classifier.load(nbsvm_bundle)
    with TestClient(create_app(classifier)) as client:
        answer = client.post("/v1/predict", json={"texts": REVIEWS[:2]})
        assert answer.status_code == 200, answer.text
        body = answer.json()["predictions"]
        expected = classifier.predict(REVIEWS[:2])
        assert [p["label"] for p in body] == [p.label for p in expected]
        assert [p["probability"] for p in body] == pytest.approx(
            [p.probability for p in expected], abs=1e-6)
        explained = client.post("/v1/predict", json={"text": REVIEWS[0], "explain": True})
        assert explained.status_code == 200, explained.text
        model = client.get("/v1/model").json()
        assert model["config"]["kind"] == "nbsvm" and len(model["sha256"]) == 64
        refused = client.post("/v1/predict", json={"text": "fine", "explain": True,
                                                   "method": "occlusion"})
        assert refused.status_code == 422 and "exact" in refused.json()["message"]
    # the hash is the model's: the same after a reload, another for other weights
    with TestClient(create_app(Classifier.load(nbsvm_bundle))) as client:
        assert client.get("/v1/model").json()["sha256"] == model["sha256"]
    other = Classifier.load(nbsvm_bundle)
    other.kind_model.weights = other.kind_model.weights * 2
    with TestClient(create_app(other)) as client:
        assert client.get("/v1/model").json()["sha256"] != model["sha256"]
