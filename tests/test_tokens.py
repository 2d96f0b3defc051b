"""tokens.py must give exactly the ids of the reference tokenizer (text.tokenize + Vocabulary)."""

from collections import Counter
from itertools import chain

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from imdb_sentiment import tokens
from imdb_sentiment.text import Vocabulary, tokenize

# Pieces that stress the tokenizer: apostrophes, <br> tags in every spelling, final sigma, a
# lower-casing that lengthens the text, combining marks, superscripts, surrogates, NUL (the
# separator tokens.py joins reviews with), long words and the 8/12-character key boundaries.
PIECES = ["'", "''", " ", "<br />", "<BR>", "<br", "/>", ">", "Σ", "ΑΣ", "İ", "\u0301", "²", "½",
          "_", "\x00", "\x01", "\ud800", "é", "don't", "abcdefgh", "abcdefghi", "abcdefghijkl",
          "abcdefghijklm", "x" * 30, "Ünïcödé", "日本語", "A", "z9", "9", "\n", "\t"]
texts = st.lists(st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=12)
                 .map("".join), max_size=12)


def reference_ids(vocabulary, texts, maxlen):
    return vocabulary.encode_token_lists(map(tokenize, texts), maxlen)


@settings(max_examples=300, deadline=None)
@given(texts=texts, maxlen=st.integers(1, 12), max_features=st.integers(4, 30))
def test_same_counts_vocabulary_and_ids_as_the_reference(texts, maxlen, max_features):
    assert tokens.word_counts(texts) == Counter(chain.from_iterable(map(tokenize, texts)))
    reference = Vocabulary.from_tokens(map(tokenize, texts), max_features)
    vocabulary, ids = tokens.build_and_encode(texts, max_features, maxlen)
    assert vocabulary == reference
    np.testing.assert_array_equal(ids, reference_ids(reference, texts, maxlen))
    np.testing.assert_array_equal(vocabulary.encode_batch(texts, maxlen), ids)


@settings(max_examples=100, deadline=None)
@given(words=st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=14)), max_size=20),
       other=texts)
def test_any_vocabulary_encodes_as_the_reference(words, other):
    """Vocabularies loaded from JSON may hold words no text tokenizes to, or repeats."""
    vocabulary = Vocabulary(tuple(words), max(4, len(words) + 3))
    np.testing.assert_array_equal(vocabulary.encode_batch(other, 7),
                                  reference_ids(vocabulary, other, 7))


def test_keys_round_trip_and_chunks_join_up(monkeypatch):
    words = ["a", "don't", "abcdefgh", "abcdefghi", "abcdefghijkl", "0'9"]
    keys = tokens.keys_of(words)
    assert (keys != 0).all() and len(set(keys.tolist())) == len(words)
    assert tokens.words_of(keys) == words
    assert (tokens.keys_of(["abcdefghijklm", "é", "A", ""]) == 0).all()
    monkeypatch.setattr(tokens, "CHUNK", 2)  # reviews split over several chunks
    texts = ["b a", "", "c c b", "a<br />b", "Don't", "b"]
    vocabulary, ids = tokens.build_and_encode(texts, 6, 3)
    assert vocabulary == Vocabulary.build(texts, 6) == Vocabulary(("b", "a", "c"), 6)
    np.testing.assert_array_equal(ids, reference_ids(vocabulary, texts, 3))


def test_few_wide_characters_are_classed_as_the_full_table_does():
    """A few non-ASCII characters are tested one by one (a one-review predict need not build
    the 0.2 s table); both ways give the same classes, surrogates and unassigned ones too."""
    from imdb_sentiment import tokens

    rng = np.random.default_rng(0)
    wide = rng.integers(128, 0x110000, 300).astype(np.uint32)
    wide[:4] = [0xD800, 0x3A3, 0x2075, 0x10FFFF]  # lone surrogate, sigma, superscript, last
    tokens._word_table.cache_clear()
    one_by_one = tokens._is_word(wide)
    assert np.array_equal(one_by_one, tokens._word_table()[wide])
    assert np.array_equal(tokens._is_word(wide), one_by_one)  # now by the table
