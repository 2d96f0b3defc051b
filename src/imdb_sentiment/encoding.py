"""The training arrays of any labeled sets in one streamed pass: vocabulary and ids together.

Texts come a batch at a time (``labeled.text_batches``: a file is read, never held). Each batch is
tokenized (``text.tokenize``) and every token becomes a provisional int32 id: its rank of first
appearance, from one dict of the distinct words. The training rows' ids are counted with
``np.bincount``, and each review's ids, start marker first, are cut and padded into a preallocated
``<int32>[n, maxlen]`` matrix. When every batch has been read the vocabulary is the
``max_features - 3`` most frequent training words, ties alphabetical (as
``Vocabulary.from_tokens``), and a lookup table turns the provisional ids into final ids in place.

So memory holds the matrices, the distinct words and one batch's tokens, never a Python object per
token of the whole data; the arrays are those of tokenizing every review, counting with a Counter
and ``Vocabulary.encode_token_lists`` (``tests/test_own_data.py`` checks it). The validation split
is drawn as before (``numpy.random.default_rng(seed).permutation``; its reviews are not counted)
and the rows keep that order, so IMDB runs give the same numbers as before.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import chain, count

import numpy as np

from .cache import Encoded  # the same arrays as the IMDB path and its cache
from .errors import UserError
from .labeled import BATCH, text_batches
from .text import FIRST_WORD_ID, OOV, START, Vocabulary, tokenize

_TRAIN, _VAL = 0, 1


def encode_sets(train_set, test_set, config, *, batch_size: int = BATCH) -> Encoded:
    """Vocabulary of ``train_set`` (less its validation split) and every split as ids."""
    n, maxlen = len(train_set), config.maxlen
    role = np.full(n, _TRAIN, dtype=np.int8)
    position = np.arange(n)  # row of each review in x_train (or x_val)
    if config.validation_split:
        order = np.random.default_rng(config.seed).permutation(n)
        n_val = max(1, round(n * config.validation_split))
        if n_val >= n:
            raise UserError(f"--validation-split {config.validation_split} of {n} training "
                            f"reviews leaves none to train on")
        role[order[:n_val]] = _VAL
        position[order[:n_val]] = np.arange(n_val)
        position[order[n_val:]] = np.arange(n - n_val)
    else:
        order, n_val = np.arange(n), 0
    labels = np.asarray(train_set.labels, dtype=np.float32)
    x_train, x_val = _matrix(n - n_val, maxlen), _matrix(n_val, maxlen)
    x_test = _matrix(len(test_set), maxlen)
    words = _Words()
    start = 0
    for texts in text_batches(train_set, batch_size):
        ids, lengths = words.ids(texts)
        rows = slice(start, start + len(texts))
        words.count(ids[np.repeat(role[rows] == _TRAIN, lengths)])
        block = windows(ids, lengths, maxlen)
        training = role[rows] == _TRAIN
        x_train[position[rows][training]] = block[training]
        x_val[position[rows][~training]] = block[~training]
        start += len(texts)
    start = 0
    for texts in text_batches(test_set, batch_size):
        ids, lengths = words.ids(texts)
        x_test[start:start + len(texts)] = windows(ids, lengths, maxlen)
        start += len(texts)
    vocabulary, table = words.vocabulary(config.max_features)
    for x in (x_train, x_val, x_test):  # in place, a slice at a time: np.take(out=x) would
        for start in range(0, len(x), batch_size):  # copy x, and its ids as int64, whole
            x[start:start + batch_size] = table[x[start:start + batch_size]]
    return Encoded(vocabulary, x_train, labels[order[n_val:]], x_val, labels[order[:n_val]],
                   x_test, np.asarray(test_set.labels, dtype=np.float32))


class _Words:
    """Provisional ids (first appearance, from ``FIRST_WORD_ID``) and training counts."""

    def __init__(self):
        self._ids = defaultdict(count(FIRST_WORD_ID).__next__)  # a new word takes the next id
        self._counts = np.zeros(FIRST_WORD_ID, dtype=np.int64)

    def ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(ids <int32>[tokens], tokens per text <int64>[len(texts)])``."""
        token_lists = [tokenize(t) for t in texts]
        lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
        ids = np.fromiter(map(self._ids.__getitem__, chain.from_iterable(token_lists)),
                          dtype=np.int32, count=int(lengths.sum()))
        return ids, lengths

    def count(self, ids: np.ndarray) -> None:
        found = np.bincount(ids, minlength=FIRST_WORD_ID + len(self._ids))
        if len(found) > len(self._counts):
            self._counts = np.pad(self._counts, (0, len(found) - len(self._counts)))
        self._counts[:len(found)] += found

    def vocabulary(self, max_features: int) -> tuple[Vocabulary, np.ndarray]:
        """The vocabulary, and ``final id <int32>[provisional id]``."""
        counts = np.pad(self._counts, (0, FIRST_WORD_ID + len(self._ids) - len(self._counts)))
        words = list(self._ids)  # in provisional id order
        seen = np.flatnonzero(counts[FIRST_WORD_ID:])  # training words only
        ranked = sorted(zip((-counts[seen + FIRST_WORD_ID]).tolist(),
                            [words[i] for i in seen], seen.tolist(), strict=True))
        kept = ranked[: max_features - FIRST_WORD_ID]
        table = np.full(len(counts), OOV, dtype=np.int32)
        table[:FIRST_WORD_ID] = np.arange(FIRST_WORD_ID)  # padding, start, out of vocabulary
        table[np.array([i for _, _, i in kept], dtype=np.int64) + FIRST_WORD_ID] = np.arange(
            FIRST_WORD_ID, FIRST_WORD_ID + len(kept))
        return Vocabulary(tuple(w for _, w, _ in kept), max_features), table


def _matrix(rows: int, maxlen: int) -> np.ndarray:
    return np.zeros((rows, maxlen), dtype=np.int32)


def windows(ids: np.ndarray, lengths: np.ndarray, maxlen: int) -> np.ndarray:
    """``<int32>[len(lengths), maxlen]``: each review's ids after the start marker, keeping the
    last ``maxlen`` and left-padded with 0, as ``text.pad`` (``keras.utils.pad_sequences``)."""
    sizes = lengths + 1  # the start marker
    total = int(sizes.sum())
    starts = np.cumsum(sizes) - sizes
    full = np.empty(total, dtype=np.int32)
    marker = np.zeros(total, dtype=bool)
    marker[starts] = True
    full[marker] = START
    full[~marker] = ids
    within = np.arange(total) - np.repeat(starts, sizes)
    columns = maxlen - np.repeat(sizes, sizes) + within  # right-aligned; < 0: cut off
    kept = columns >= 0
    out = _matrix(len(lengths), maxlen)
    out[np.repeat(np.arange(len(lengths)), sizes)[kept], columns[kept]] = full[kept]
    return out
