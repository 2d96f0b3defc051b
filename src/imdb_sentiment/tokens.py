"""``text.tokenize`` + vocabulary lookup for many reviews at once, on arrays: the same ids, several
times faster (BENCHMARKS.md).

Calling the regular expression review by review makes one Python string and one dict lookup per
token: 12 million of each for the 50,000 labeled reviews. Here a chunk of reviews is joined,
lower-cased and stripped of ``<br />`` as ``tokenize`` does, and turned into one array of code
points. Word characters are those of the tokenizer's own character class (``text.WORD_CHAR``), so
the two cannot drift apart; an apostrophe joins when a word character is on each side, as in
``text.WORD``. A token of at most 12 ASCII characters (99.6% of them) becomes an exact 64-bit key
(no hashing): its bytes read as one little-endian integer up to 8 characters, its base-38 digits
with the top bit set up to 12. Counting is then one ``np.unique`` and lookup one probe into an
open-addressing table. Longer or non-ASCII tokens are sliced out as strings and use a dict.

``tests/test_tokens.py`` compares every result with ``tokenize`` and ``Vocabulary`` on generated
text with odd Unicode, and ``tests/test_real_data.py`` on the 50,000 real reviews.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import text

CHUNK = 2048  # reviews per array pass: bounds the memory (about 3 MB of text each)
_SEP = "\x00"  # joins reviews: no word character, no <br> part, no case context (final sigma)
_BYTES, _DIGITS = 8, 12  # the longest tokens keyed by their bytes, by base-38 digits
_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(_BYTES)] + [2**64 - 1], dtype=np.uint64)
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz'"  # every ASCII token character, lower-cased
_DIGIT = np.zeros(256, dtype=np.uint64)
_DIGIT[np.frombuffer(_ALPHABET.encode(), dtype=np.uint8)] = np.arange(1, 38, dtype=np.uint64)
_LETTER = np.frombuffer(b"\0" + _ALPHABET.encode(), dtype=np.uint8)  # digit -> character
_TOP = np.uint64(1 << 63)  # marks a base-38 key; a byte key of ASCII never has it
_COLUMNS = np.arange(_DIGITS)
_POWERS = np.uint64(38) ** np.arange(_DIGITS, dtype=np.uint64)  # digit k has weight 38**k
_APOSTROPHE = ord("'")
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing multiplier


@lru_cache(maxsize=1)
def _word_table() -> np.ndarray:
    """``is word character <bool>[0x110000]``, from the tokenizer's character class itself."""
    every = "".join(map(chr, range(0x110000)))
    found = "".join(re.findall(text.WORD_CHAR, every)).encode("utf-32-le", "surrogatepass")
    table = np.zeros(0x110000, dtype=bool)
    table[np.frombuffer(found, dtype=np.uint32)] = True
    return table


_FEW = 512  # distinct non-ASCII characters tested one by one rather than by the whole table


def _is_word(wide: np.ndarray) -> np.ndarray:
    """``is word character <bool>[n]`` for ``wide <uint32>[n]`` code points. The full table takes
    0.2 s to build: a few reviews (a one-review ``predict``) test their few characters alone."""
    if _word_table.cache_info().currsize:
        return _word_table()[wide]
    unique, inverse = np.unique(wide, return_inverse=True)
    if len(unique) > _FEW:
        return _word_table()[wide]
    char = re.compile(text.WORD_CHAR)
    found = np.array([char.fullmatch(chr(c)) is not None for c in unique.tolist()], dtype=bool)
    return found[inverse]


@dataclass
class Scan:
    """The tokens of a list of reviews. ``counts <int64>[n]``: tokens per review; per token in
    reading order, ``keys <uint64>[t]`` (0: none, the token is too long or not ASCII) and its
    ``starts``/``ends <int64>[t]`` in ``joined``."""

    counts: np.ndarray
    keys: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    joined: str

    def words(self, indices) -> list[str]:
        joined = self.joined
        return [joined[a:b] for a, b in zip(self.starts[indices].tolist(),
                                           self.ends[indices].tolist(), strict=True)]


def _standardized(texts: list[str]) -> tuple[str, np.ndarray]:
    """The reviews standardized and joined by ``_SEP``, and ``codes <uint32>[chars]``.

    One review at a time: most are ASCII, which ``str.lower`` and the ``<br>`` search handle
    3x faster than a joined string that holds one non-ASCII character somewhere.
    """
    joined = _SEP.join(map(text.standardize, texts))
    if joined.count(_SEP) != len(texts) - 1:  # a review holds one; "\x01" acts the same
        joined = _SEP.join(text.standardize(t.replace(_SEP, "\x01")) for t in texts)
    return joined, np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def scan(texts: list[str]) -> Scan:
    """Tokenize ``texts`` together; token i of review r is ``text.tokenize(texts[r])[i]``."""
    joined, codes = _standardized(texts)
    word = (codes - np.uint32(48) < 10) | (codes - np.uint32(97) < 26)  # [0-9a-z] once lowered
    wide = np.flatnonzero(codes >= 128)
    if len(wide):
        word[wide] = _is_word(codes[wide])
    inside = np.zeros(len(codes) + 2, dtype=bool)
    inside[1:-1] = word
    inside[2:-2] |= (codes[1:-1] == _APOSTROPHE) & word[:-2] & word[2:]
    edges = np.flatnonzero(inside[1:] != inside[:-1])
    starts, ends = edges[0::2], edges[1::2]
    review_ends = np.append(np.flatnonzero(codes == 0), len(codes))
    counts = np.diff(np.searchsorted(starts, review_ends), prepend=0)
    raw = np.zeros(len(codes) + _DIGITS, dtype=np.uint8)
    raw[: len(codes)] = codes  # wraps the wide ones, whose tokens get no key below
    return Scan(counts, _keys(raw, starts, ends - starts, codes, wide), starts, ends, joined)


def _keys(raw, starts, lengths, codes, wide) -> np.ndarray:
    unaligned = np.ndarray((len(codes),), dtype="<u8", buffer=raw.data, strides=(1,))
    keys = unaligned[starts] & _MASKS[np.minimum(lengths, _BYTES)]  # right for 8 or fewer
    longer = np.flatnonzero(lengths > _BYTES)
    if len(longer):  # base-38 digits up to 12 characters, no key past that
        n = lengths[longer]
        digits = _DIGIT[raw[starts[longer, None] + _COLUMNS]]  # <uint64>[m, 12]
        digits[_COLUMNS >= n[:, None]] = 0
        keys[longer] = np.where(n <= _DIGITS, (digits @ _POWERS) | _TOP, 0)
    if len(wide) and len(starts):  # tokens with a non-ASCII character have no key
        owner = np.maximum(np.searchsorted(starts, wide, side="right") - 1, 0)
        inside = (wide >= starts[owner]) & (wide < starts[owner] + lengths[owner])
        keys[owner[inside]] = 0
    return keys


def _chunks(texts: list[str]):
    for i in range(0, len(texts), CHUNK):  # one after the other: on two threads 1.06x the time
        yield scan(texts[i : i + CHUNK])


def words_of(keys: np.ndarray) -> list[str]:
    """The tokens whose keys are ``keys <uint64>[n]`` (none 0)."""
    out = np.empty(len(keys), dtype=object)
    digits = (keys & _TOP) != 0
    short = np.flatnonzero(~digits)
    out[short] = keys[short].view("S8").astype("U8")  # numpy drops the trailing NULs
    rest = keys[digits] ^ _TOP
    letters = np.zeros((len(rest), _DIGITS), dtype=np.uint8)
    for k in range(_DIGITS):
        rest, digit = np.divmod(rest, np.uint64(38))
        letters[:, k] = _LETTER[digit]
    out[np.flatnonzero(digits)] = letters.view(f"S{_DIGITS}")[:, 0].astype(f"U{_DIGITS}")
    return out.tolist()


_KEYED = re.compile(f"[{re.escape(_ALPHABET)}]{{1,{_DIGITS}}}")


def keys_of(words: list[str]) -> np.ndarray:
    """The keys ``scan`` gives ``words`` as tokens: ``<uint64>[n]``, 0 where it gives none."""
    keys = np.zeros(len(words), dtype=np.uint64)
    keyed = [i for i, w in enumerate(words) if _KEYED.fullmatch(w)]
    if not keyed:
        return keys
    chars = np.zeros((len(keyed), _DIGITS), dtype=np.uint8)
    chars.view(f"S{_DIGITS}")[:, 0] = [words[i] for i in keyed]  # ASCII, so bytes = characters
    lengths = np.count_nonzero(chars, axis=1)
    short = lengths <= _BYTES
    key = chars[:, :_BYTES].copy().view("<u8")[:, 0]
    long = np.zeros(len(keyed), dtype=np.uint64)
    for k in range(_DIGITS - 1, -1, -1):
        long = long * np.uint64(38) + _DIGIT[chars[:, k]]
    keys[keyed] = np.where(short, key, long | _TOP)
    return keys


class _Counts:
    """Word counts over chunks: keyed tokens in arrays (distinct keys and counts per chunk), the
    others in a Counter."""

    def __init__(self):
        self.keys: list[np.ndarray] = []
        self.counts: list[np.ndarray] = []
        self.others: Counter = Counter()

    def add(self, part: Scan) -> None:
        keyed = part.keys != 0
        keys, counts = np.unique(part.keys[keyed], return_counts=True)
        self.keys.append(keys)
        self.counts.append(counts)
        self.others.update(part.words(np.flatnonzero(~keyed)))

    def _keyed(self) -> tuple[np.ndarray, np.ndarray]:
        """The distinct keys of every chunk and their total counts."""
        keys, where = np.unique(np.concatenate([np.zeros(0, np.uint64), *self.keys]),
                                return_inverse=True)
        totals = np.bincount(where, np.concatenate([np.zeros(0, np.int64), *self.counts]),
                             minlength=len(keys))
        return keys, totals.astype(np.int64)

    def result(self) -> Counter:
        keys, counts = self._keyed()
        total = self.others
        for word, n in zip(words_of(keys), counts.tolist(), strict=True):
            total[word] += n
        return total

    def candidates(self, n: int) -> dict[str, int]:
        """The counts of the words counted at least as often as the ``n``-th most frequent: all
        that ``Vocabulary.from_counts`` needs to rank the first ``n``, with a twentieth of the
        distinct words made strings for the classic vocabulary."""
        keys, counts = self._keyed()
        other_counts = np.fromiter(self.others.values(), np.int64, len(self.others))
        every = np.concatenate([counts, other_counts])
        floor = np.partition(every, len(every) - n)[len(every) - n] if 0 < n < len(every) else 0
        kept = np.flatnonzero(counts >= floor)
        return {**{w: c for w, c in self.others.items() if c >= floor},
                **dict(zip(words_of(keys[kept]), counts[kept].tolist(), strict=True))}


def word_counts(texts: list[str]) -> Counter:
    """``Counter(chain.from_iterable(map(tokenize, texts)))``, computed on arrays."""
    counts = _Counts()
    for part in _chunks(texts):
        counts.add(part)
    return counts.result()


class KeyTable:
    """Keys to ids, all at once: open addressing, linear probing, a quarter full at most."""

    def __init__(self, keys: np.ndarray, values: np.ndarray):
        bits = max(4, int(len(keys) * 4).bit_length())
        self.shift = np.uint64(64 - bits)
        self.mask = (1 << bits) - 1
        self.keys = np.zeros(1 << bits, dtype=np.uint64)  # 0: an empty slot
        self.values = np.zeros(1 << bits, dtype=np.int32)
        slots = self._slots(keys).tolist()
        for key, value, slot in zip(keys.tolist(), values.tolist(), slots, strict=True):
            while self.keys[slot]:
                slot = (slot + 1) & self.mask
            self.keys[slot], self.values[slot] = key, value

    def _slots(self, keys: np.ndarray) -> np.ndarray:
        return ((keys * _GOLDEN) >> self.shift).astype(np.int64)

    def get(self, keys: np.ndarray, default: int) -> np.ndarray:
        out = np.full(len(keys), default, dtype=np.int32)
        pending = np.flatnonzero(keys)
        slots = self._slots(keys[pending])
        while len(pending):
            found = self.keys[slots]
            hit = found == keys[pending]
            out[pending[hit]] = self.values[slots[hit]]
            going_on = ~hit & (found != 0)
            pending, slots = pending[going_on], (slots[going_on] + 1) & self.mask
        return out


def lookup(vocabulary: text.Vocabulary) -> tuple[KeyTable, dict[str, int]]:
    """The vocabulary's keyed words in a :class:`KeyTable`, the others in a dict."""
    word_ids = vocabulary.ids  # {word: id}; a repeated word keeps its last id, as in encode()
    keys = keys_of(list(word_ids))
    ids = np.fromiter(word_ids.values(), dtype=np.int32, count=len(word_ids))
    others = {w: i for (w, i), k in zip(word_ids.items(), keys.tolist(), strict=True) if not k}
    return KeyTable(keys[keys != 0], ids[keys != 0]), others


@dataclass
class _Window:
    """The last ``maxlen`` tokens of each review of a chunk, placed as in ``text.pad``: token j
    of a review of n tokens lands in column maxlen - n + j of ``[START, ids...]``."""

    counts: np.ndarray
    rows: np.ndarray
    columns: np.ndarray
    keys: np.ndarray
    slow: np.ndarray  # indices into keys of the tokens without one
    slow_words: list[str]

    @classmethod
    def of(cls, part: Scan, maxlen: int) -> _Window:
        first = np.cumsum(part.counts) - part.counts
        review = np.repeat(np.arange(len(part.counts)), part.counts)
        column = maxlen - part.counts[review] + (np.arange(len(review)) - first[review])
        kept = np.flatnonzero(column >= 0)
        keys = part.keys[kept]
        slow = np.flatnonzero(keys == 0)
        return cls(part.counts, review[kept], column[kept], keys, slow, part.words(kept[slow]))

    def fill(self, block: np.ndarray, table: KeyTable, others: dict[str, int]) -> None:
        ids = table.get(self.keys, text.OOV)
        ids[self.slow] = [others.get(w, text.OOV) for w in self.slow_words]
        block[self.rows, self.columns] = ids
        short = np.flatnonzero(self.counts < block.shape[1])
        block[short, block.shape[1] - self.counts[short] - 1] = text.START


def encode(texts: list[str], vocabulary: text.Vocabulary, maxlen: int) -> np.ndarray:
    """``vocabulary.encode_batch(texts, maxlen)``, computed on arrays: ``<int32>[n, maxlen]``."""
    table, others = vocabulary.lookup()
    out = np.zeros((len(texts), maxlen), dtype=np.int32)
    for offset, part in zip(range(0, len(texts), CHUNK), _chunks(texts), strict=True):
        _Window.of(part, maxlen).fill(out[offset : offset + CHUNK], table, others)
    return out


def build_and_encode(texts: list[str], max_features: int,
                     maxlen: int) -> tuple[text.Vocabulary, np.ndarray]:
    """``Vocabulary.build(texts, max_features)`` and its ``encode_batch(texts, maxlen)``, reading
    the texts once."""
    counts, windows = _Counts(), []
    for part in _chunks(texts):
        counts.add(part)
        windows.append(_Window.of(part, maxlen))
    vocabulary = text.Vocabulary.from_counts(
        counts.candidates(max_features - text.FIRST_WORD_ID), max_features)
    table, others = vocabulary.lookup()
    out = np.zeros((len(texts), maxlen), dtype=np.int32)
    for offset, window in zip(range(0, len(texts), CHUNK), windows, strict=True):
        window.fill(out[offset : offset + CHUNK], table, others)
    return vocabulary, out
