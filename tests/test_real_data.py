"""Checks on the real aclImdb archive in ../shared/data; skipped, with the reason, without it."""

import numpy as np
import pytest

from conftest import REAL_DATA
from imdb_sentiment import Config, load_imdb, train
from imdb_sentiment.data import ImdbData

pytestmark = pytest.mark.skipif(not REAL_DATA.exists(),
                                reason=f"real dataset not found at {REAL_DATA}")


@pytest.fixture(scope="module")
def imdb():
    return load_imdb(REAL_DATA)


def test_real_archive_has_the_canonical_counts(imdb):
    for split in (imdb.train, imdb.test):
        assert len(split) == 25000 and int(split.labels.sum()) == 12500
        assert len(set(split.ids)) == 25000
    positive = imdb.train.ratings[imdb.train.labels == 1]
    assert positive.min() >= 7 and imdb.train.ratings[imdb.train.labels == 0].max() <= 4


@pytest.mark.real_data
def test_a_short_run_on_a_few_thousand_reviews_learns(imdb):
    rng = np.random.default_rng(0)
    small = ImdbData(train=imdb.train.take(rng.permutation(25000)[:5000]),
                     test=imdb.test.take(rng.permutation(25000)[:2000]), source=imdb.source)
    classifier = train(small, Config(cell="lstm", epochs=2), verbose=0)
    h = classifier.history
    assert h["loss"][-1] < h["loss"][0]
    assert h["test_accuracy"][-1] > 0.65, h
    assert classifier.predict("One of the best films I have ever seen. Wonderful.").label \
        == "positive"


def test_array_tokenizer_gives_the_reference_ids_on_all_50000_reviews(imdb):
    from imdb_sentiment import tokens
    from imdb_sentiment.text import Vocabulary, tokenize

    config = Config()
    train_tokens = [tokenize(t) for t in imdb.train.texts]
    reference = Vocabulary.from_tokens(train_tokens, config.max_features)
    vocabulary, x_train = tokens.build_and_encode(imdb.train.texts, config.max_features,
                                                  config.maxlen)
    assert vocabulary == reference
    np.testing.assert_array_equal(
        x_train, reference.encode_token_lists(train_tokens, config.maxlen))
    np.testing.assert_array_equal(
        vocabulary.encode_batch(imdb.test.texts, config.maxlen),
        reference.encode_token_lists(map(tokenize, imdb.test.texts), config.maxlen))
