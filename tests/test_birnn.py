"""The birnn kind (the ``strong`` preset's model) on the toy archive: trains, saves, loads without
an optimizer, predicts, explains; padding and batch composition do not change a review's score."""

from __future__ import annotations

import json

import numpy as np
import pytest

from imdb_sentiment import Classifier, Config, load_imdb, train
from imdb_sentiment.errors import UserError


@pytest.fixture(scope="module")
def birnn_config(tmp_path_factory, monkeypatch_module):
    monkeypatch_module.setenv("IMDB_SENTIMENT_CACHE", str(tmp_path_factory.mktemp("cache")))
    return Config.preset("strong", max_features=60, maxlen=24, embedding_dim=8, units=8,
                         batch_size=16, epochs=4, learning_rate=0.02, pretrain_epochs=2,
                         seed=3)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def birnn(toy_archive, birnn_config):
    return train(load_imdb(toy_archive), birnn_config, verbose=0)


def test_trains_with_validation_choices_and_measures_test_once(birnn):
    assert birnn.kind == "birnn"
    metrics = birnn.metrics
    assert metrics["val_reviews"] == 40  # 20% of the toy set's 200 training reviews
    assert 1 <= metrics["epoch"] <= 4
    assert {"test_accuracy", "test_roc_auc", "test_ece", "test_brier"} <= set(metrics)
    assert metrics["unlabeled_reviews"] == 3  # the toy archive's train/unsup
    assert metrics["test_accuracy"] > 0.8  # the toy set is easy: "good" vs "bad"
    assert "val_loss" in birnn.history


def test_word_vectors_are_cached_by_data_and_settings(birnn, toy_archive, birnn_config):
    from imdb_sentiment import word_vectors

    cached = list(word_vectors.default_cache().glob("word2vec-*.npz"))
    assert len(cached) == 1
    with np.load(cached[0], allow_pickle=False) as stored:
        assert stored["vectors"].shape[1] == birnn_config.embedding_dim
        assert "good" in set(stored["words"].tolist())


def test_padding_and_batch_neighbours_do_not_change_a_score(birnn):
    texts = ["good good movie", "bad plot " * 10, "the movie"]
    alone = [birnn.predict_proba([t])[0] for t in texts]
    together = birnn.predict_proba(texts)
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_bundle_loads_without_optimizer_and_predicts_the_same(birnn, tmp_path):
    path = birnn.save(tmp_path / "strong")
    assert json.loads((path / "config.json").read_text())["kind"] == "birnn"
    loaded = Classifier.load(path)
    assert loaded.kind == "birnn"
    assert not loaded.model.compiled
    texts = ["good fun", "bad awful boring", ""]
    np.testing.assert_allclose(loaded.predict_proba(texts), birnn.predict_proba(texts),
                               atol=1e-6)


def test_explains_by_occlusion(birnn):
    explanation = birnn.explain("good movie but bad", method=None)
    assert [t.token for t in explanation.tokens] == ["good", "movie", "but", "bad"]
    by_token = {t.token: t.contribution for t in explanation.tokens}
    assert by_token["good"] > 0 > by_token["bad"]
    assert birnn.explain("").tokens == []


def test_long_reviews_keep_their_last_maxlen_tokens(birnn):
    text = " ".join(["bad"] * 30 + ["good"] * 5)
    explanation = birnn.explain(text)
    seen = [t.seen for t in explanation.tokens]
    assert seen[:11] == [False] * 11 and all(seen[11:])


def test_needs_a_validation_split(toy_archive, birnn_config):
    from dataclasses import replace

    with pytest.raises(UserError, match="validation split"):
        train(load_imdb(toy_archive), replace(birnn_config, validation_split=0.0), verbose=0)


def test_trains_from_a_users_file_with_vectors_from_its_training_texts(toy_archive, birnn_config,
                                                                       tmp_path):
    """Own data has no train/unsup: the word vectors are pretrained on the training texts."""
    import csv

    imdb = load_imdb(toy_archive)
    path = tmp_path / "mine.csv"
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["review", "sentiment"])
        writer.writerows(zip(imdb.train.texts, imdb.train.labels.tolist(), strict=True))
    from imdb_sentiment import open_labeled

    train_set, test_set = open_labeled(path, text_column="review",
                                       label_column="sentiment").stratified_split(0.2, seed=3)
    mine = train(train_set, test_set, birnn_config, verbose=0)
    assert mine.kind == "birnn" and mine.metrics["unlabeled_reviews"] == 0
    assert mine.data["train"]["file"].endswith("mine.csv")
    assert 0.0 <= mine.predict("good").probability <= 1.0
