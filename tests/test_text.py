import random

import numpy as np
from keras.utils import pad_sequences

from imdb_sentiment import Vocabulary, pad, tokenize
from imdb_sentiment.text import OOV, PAD, START


def test_tokenize_standardizes():
    assert tokenize("Great movie!<br /><br />I LOVED it, didn't you?") == [
        "great", "movie", "i", "loved", "it", "didn't", "you"]
    assert tokenize("") == [] and tokenize("  ...!!  ") == []
    assert tokenize("A<br/>B<BR>c") == ["a", "b", "c"]


def test_vocabulary_ids_follow_keras_imdb_convention():
    texts = ["b b b a a c", "b a d"]
    vocab = Vocabulary.build(texts, max_features=5)  # room for 2 words: ids 3 and 4
    assert vocab.words == ("b", "a")
    assert vocab.encode("a b c zzz") == [START, 4, 3, OOV, OOV]
    ids = vocab.encode_batch(texts, maxlen=10)
    assert ids.max() < 5 and (ids[:, :3] == PAD).all()


def test_vocabulary_ties_break_alphabetically_and_json_round_trips(tmp_path):
    vocab = Vocabulary.build(["z y x", "x"], max_features=10)
    assert vocab.words == ("x", "y", "z")
    vocab.save(tmp_path / "v.json")
    assert Vocabulary.load(tmp_path / "v.json") == vocab


def test_vocabulary_comes_from_train_only(trained, toy_archive):
    from imdb_sentiment import load_imdb

    imdb = load_imdb(toy_archive)
    train_words = {w for t in imdb.train.texts for w in tokenize(t)}
    assert set(trained.vocabulary.words) <= train_words
    assert "unsup" not in trained.vocabulary.words


def test_pad_equals_keras_pad_sequences_on_random_cases():
    rng = random.Random(0)
    for _ in range(200):
        maxlen = rng.randint(1, 12)
        seqs = [[rng.randint(1, 99) for _ in range(rng.randint(0, 20))]
                for _ in range(rng.randint(0, 8))]
        expected = pad_sequences(seqs, maxlen=maxlen) if seqs else np.zeros((0, maxlen))
        np.testing.assert_array_equal(pad(seqs, maxlen), expected)
        assert pad(seqs, maxlen).dtype == np.int32
