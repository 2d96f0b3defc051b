"""Binary n-gram features of tokenized reviews, counted with numpy rather than Python loops.

A review becomes a row of a sparse matrix with a 1 in the column of every distinct n-gram
(1 to ``n`` consecutive tokens of :func:`imdb_sentiment.text.tokenize`) it contains. scikit-learn's
``CountVectorizer`` does the same with a Python loop over every n-gram; here each n-gram of word
ids is packed into one int64 key, so finding the vocabulary, the document frequencies and the
columns are a few sorts over arrays (uni+bi+trigrams of the 25,000 training reviews: see
BENCHMARKS.md for the ratio measured against ``CountVectorizer``).

Keys: with ``B = len(words) + 1`` and word ids shifted by one, ``(a, b, c)`` is
``((a+1)*B + b+1)*B + c+1``, so n-grams of different lengths never share a key. An n-gram kept
with ``min_df`` has all its words kept too (a word is in at least as many reviews as any n-gram
holding it), so a review's words outside ``words`` can only start n-grams outside the vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.dtypes import StringDType
from scipy import sparse

from ..errors import UserError

MAX_KEY_BASE = 2_000_000  # B**3 must stay below 2**63


class NgramVocabulary:
    """The n-grams kept from training, one column each, in the order of their keys."""

    def __init__(self, words: Sequence[str], ngrams: Sequence[str], n: int,
                 digits: np.ndarray | None = None):
        """``digits <int>[len(ngrams), n]``: each n-gram's word ids + 1, 0-padded on the right;
        worked out from the n-gram texts when not given (slower: a Python loop)."""
        self.n, self.words = n, list(words)
        self.word_ids = {w: i for i, w in enumerate(self.words)}
        self.base = len(self.words) + 1
        if self.base >= MAX_KEY_BASE or not 1 <= n <= 3:
            raise UserError("n-gram vocabulary too large to key (at most trigrams, 2M words)")
        self.ngrams = list(ngrams)
        if digits is None:
            digits = [[self.word_ids[w] + 1 for w in g.split(" ")] for g in self.ngrams]
            digits = np.array([d + [0] * (n - len(d)) for d in digits], dtype=np.int64)
        self.digits = np.asarray(digits, dtype=np.int64).reshape(-1, n)
        if len(self.digits) != len(self.ngrams) or (self.digits > len(self.words)).any():
            raise ValueError("n-grams and their word ids disagree")
        self.keys = _keys(self.digits, self.base)
        if len(self.keys) and (np.diff(self.keys) <= 0).any():
            raise ValueError("n-grams are not in key order")

    def __len__(self) -> int:
        return len(self.ngrams)

    @classmethod
    def fit(cls, token_lists: Sequence[list[str]], n: int, min_df: int = 1):
        """The vocabulary of ``token_lists`` and their feature matrix, in one pass."""
        index: dict[str, int] = {}
        flat = np.fromiter((index.setdefault(t, len(index)) for tokens in token_lists
                            for t in tokens), dtype=np.int64)
        words = list(index)
        if len(words) + 1 >= MAX_KEY_BASE:
            raise UserError(f"{len(words)} distinct words: too many to key n-grams")
        base = len(words) + 1
        doc, key = _ngram_keys(flat, _lengths(token_lists), n, base)
        unique_keys, column = _unique(key, inverse=True)
        pairs = _unique(doc * len(unique_keys) + column)  # one per (review, distinct n-gram)
        rows, columns = np.divmod(pairs, len(unique_keys))
        keep = np.bincount(columns, minlength=len(unique_keys)) >= min_df
        new_column = np.cumsum(keep) - 1
        kept = keep[columns]
        matrix = _binary(rows[kept], new_column[columns[kept]], len(token_lists), int(keep.sum()))
        kept_keys = unique_keys[keep]
        # words of the kept n-grams, renumbered so that the vocabulary is self-contained
        digits = _digits(kept_keys, base, n)
        used = np.unique(digits[digits > 0]) - 1
        remap = np.zeros(base, dtype=np.int64)
        remap[used + 1] = np.arange(1, len(used) + 1)
        digits = remap[digits]
        words = [words[i] for i in used]
        # renumbering the words in their old order keeps the key order: this is the identity
        order = np.argsort(_keys(digits, len(words) + 1), kind="stable")
        digits = digits[order]
        return cls(words, _texts(words, digits), n, digits), matrix[:, order]

    def transform(self, token_lists: Sequence[list[str]]) -> sparse.csr_matrix:
        """``features <float64>[len(token_lists), len(self)]`` (CSR), 1 where an n-gram occurs."""
        rows, columns, _, _ = self.positions(token_lists)
        pairs = _unique(rows * max(1, len(self)) + columns)
        rows, columns = np.divmod(pairs, max(1, len(self)))
        return _binary(rows, columns, len(token_lists), len(self))

    def positions(self, token_lists: Sequence[list[str]]):
        """``review, column, first token, length <int64>[occurrences]``: each occurrence of a
        vocabulary n-gram, by the position of its first token in its review."""
        get = self.word_ids.get
        flat = np.fromiter((get(t, -1) for tokens in token_lists for t in tokens),
                           dtype=np.int64)
        lengths = _lengths(token_lists)
        doc, key, start, size = _ngram_keys(flat, lengths, self.n, self.base, with_positions=True)
        column = np.searchsorted(self.keys, key)
        found = column < len(self.keys)
        found[found] = self.keys[column[found]] == key[found]
        first = (np.cumsum(lengths) - lengths)[doc]
        return doc[found], column[found], (start - first)[found], size[found]

    def to_json(self) -> dict:
        return {"n": self.n, "words": self.words, "ngrams": self.ngrams}

    @classmethod
    def from_json(cls, data: dict, digits: np.ndarray | None = None) -> NgramVocabulary:
        """From :meth:`to_json`'s dict, and :attr:`digits` when saved beside it (fast)."""
        return cls(data["words"], data["ngrams"], int(data["n"]), digits)


def _unique(values: np.ndarray, inverse: bool = False):
    """``np.unique`` by one sort (numpy 2.3's hash-based unique is slower on int64 keys)."""
    order = np.argsort(values, kind="stable") if inverse else None
    ordered = values[order] if inverse else np.sort(values)
    first = np.empty(len(ordered), dtype=bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    if not inverse:
        return ordered[first]
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.cumsum(first) - 1
    return ordered[first], rank


def _lengths(token_lists) -> np.ndarray:
    return np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))


def _keys(digits: np.ndarray, base: int) -> np.ndarray:
    """The key of each row of ``digits`` (word ids + 1, 0-padded on the right)."""
    keys = np.zeros(len(digits), dtype=np.int64)
    for k in range(digits.shape[1]):
        present = digits[:, k] > 0
        keys[present] = keys[present] * base + digits[present, k]
    return keys


def _texts(words: list[str], digits: np.ndarray) -> list[str]:
    """The n-grams as text, by vectorized joins (numpy's StringDType), not a Python loop."""
    table = np.array(["", *words], dtype=StringDType())
    text = table[digits[:, 0]]
    for k in range(1, digits.shape[1]):
        text = np.where(digits[:, k] > 0, text + " " + table[digits[:, k]], text)
    return text.tolist()


def _ngram_keys(flat: np.ndarray, lengths: np.ndarray, n: int, base: int, *,
                with_positions: bool = False):
    """``(review, key)`` of every n-gram of 1..n tokens in the concatenated ``flat`` word ids
    (-1 marks a word outside the vocabulary; n-grams holding one are dropped)."""
    doc_of = np.repeat(np.arange(len(lengths)), lengths)
    docs, keys, starts, sizes = [], [], [], []
    for k in range(1, n + 1):
        m = len(flat) - k + 1
        if m <= 0:
            break
        valid = doc_of[:m] == doc_of[k - 1:]
        key = np.zeros(m, dtype=np.int64)
        for j in range(k):
            part = flat[j:j + m]
            valid &= part >= 0
            key = key * base + part + 1
        where = np.flatnonzero(valid)
        docs.append(doc_of[where])
        keys.append(key[where])
        starts.append(where)
        sizes.append(np.full(len(where), k, dtype=np.int64))
    if not docs:
        empty = np.zeros(0, dtype=np.int64)
        return (empty,) * (4 if with_positions else 2)
    out = (np.concatenate(docs), np.concatenate(keys))
    return out + (np.concatenate(starts), np.concatenate(sizes)) if with_positions else out


def _digits(keys: np.ndarray, base: int, n: int) -> np.ndarray:
    """``<int64>[len(keys), n]``: each key's word ids + 1, left-aligned, 0-padded."""
    digits = np.zeros((len(keys), n), dtype=np.int64)
    rest = keys.copy()
    for k in range(n - 1, -1, -1):
        rest, digits[:, k] = np.divmod(rest, base)
    # right-aligned now (leading zeros for shorter n-grams): shift each row left
    shift = (digits == 0).sum(axis=1)
    columns = (np.arange(n)[None, :] + shift[:, None]) % n
    left = np.take_along_axis(digits, columns, axis=1)
    left[np.arange(n)[None, :] >= n - shift[:, None]] = 0
    return left


def _binary(rows, columns, n_rows: int, n_columns: int) -> sparse.csr_matrix:
    return sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(n_rows, n_columns))
