"""The training arrays of any labeled sets, streamed: a counting pass, then an encoding pass.

Texts come a batch at a time (``labeled.text_batches``: a file is read again for each pass,
never held). The first pass counts the words of the training reviews per batch on arrays
(``tokens.word_counts``: tokens become 64-bit keys counted with ``np.unique``, so no Python object
per token) and merges the batch counts into one Counter of distinct words. The vocabulary is then
its ``max_features - 3`` most frequent words, ties alphabetical (``Vocabulary.from_counts``). The
second pass encodes each batch on arrays (``Vocabulary.encode_batch``, ``tokens.encode``) straight
into preallocated ``<int32>[n, maxlen]`` matrices.

So memory holds the matrices, the distinct words and one batch. The arrays are those of
tokenizing every review with ``text.tokenize``, counting with a Counter and
``Vocabulary.encode_token_lists`` (``tests/test_own_data.py`` checks it). The validation split is
drawn as ``cache.encode_data`` draws it (``numpy.random.default_rng(seed).permutation``; its
reviews are not counted) and the rows keep that order. BENCHMARKS.md ("Your own data") compares
this with one pass of provisional ids over ``text.tokenize``, the first version: 1.45x slower.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from .cache import Encoded  # the same arrays as the IMDB path and its cache
from .errors import UserError
from .labeled import BATCH, text_batches
from .text import Vocabulary
from .tokens import word_counts

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

    counts, start = Counter(), 0
    for texts in text_batches(train_set, batch_size):  # pass 1: the training words
        training = role[start:start + len(texts)] == _TRAIN
        counts.update(word_counts([t for t, keep in zip(texts, training, strict=True) if keep]))
        start += len(texts)
    vocabulary = Vocabulary.from_counts(counts, config.max_features)
    del counts

    x_train = np.zeros((n - n_val, maxlen), dtype=np.int32)
    x_val = np.zeros((n_val, maxlen), dtype=np.int32)
    start = 0
    for texts in text_batches(train_set, batch_size):  # pass 2: ids
        block = vocabulary.encode_batch(texts, maxlen)
        rows = slice(start, start + len(texts))
        training = role[rows] == _TRAIN
        x_train[position[rows][training]] = block[training]
        x_val[position[rows][~training]] = block[~training]
        start += len(texts)
    x_test = np.zeros((len(test_set), maxlen), dtype=np.int32)
    start = 0
    for texts in text_batches(test_set, batch_size):
        x_test[start:start + len(texts)] = vocabulary.encode_batch(texts, maxlen)
        start += len(texts)
    labels = np.asarray(train_set.labels, dtype=np.float32)
    return Encoded(vocabulary, x_train, labels[order[n_val:]], x_val, labels[order[:n_val]],
                   x_test, np.asarray(test_set.labels, dtype=np.float32))
