"""Text to token ids: one tokenizer for training and for every prediction, and the Vocabulary.

Ids follow keras.datasets.imdb: 0 is padding, 1 marks the start of a review, 2 stands for a word
outside the vocabulary, and words take ids 3, 4, ... by falling frequency in the training texts,
so every id is below ``max_features``.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path

import numpy as np

from .errors import UserError

PAD, START, OOV = 0, 1, 2
FIRST_WORD_ID = 3

TOKENIZER_VERSION = 1  # raise when tokenize() changes: it keys the encoded-data cache (cache.py)

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
# A word is a run of letters and digits, with inner apostrophes kept ("don't", "director's").
# Everything else (punctuation, symbols) splits words apart and is dropped. tokens.py reads the
# same character class to tokenize many reviews at once on arrays.
WORD_CHAR = r"[^\W_]"
WORD = re.compile(f"{WORD_CHAR}+(?:'{WORD_CHAR}+)*")


def standardize(text: str) -> str:
    """Lower-case and replace each ``<br />`` tag by a space."""
    return _BREAK.sub(" ", text.lower())


def tokenize(text: str) -> list[str]:
    """Lower-case, drop ``<br />`` tags, split off punctuation.

    ``"Great!<br />A"`` -> ``["great", "a"]``

    The reference definition: ``tokens.py`` computes the same tokens for many reviews at once.
    """
    return WORD.findall(standardize(text))


@dataclass(frozen=True)
class Vocabulary:
    """The ``max_features - 3`` most frequent training words, in id order (id = index + 3)."""

    words: tuple[str, ...]
    max_features: int

    def __post_init__(self):
        object.__setattr__(self, "_ids", {w: i for i, w in enumerate(self.words, FIRST_WORD_ID)})

    @classmethod
    def build(cls, texts: Iterable[str], max_features: int) -> Vocabulary:
        """Count words over ``texts`` (the training split only); ties break alphabetically."""
        from .tokens import word_counts

        return cls.from_counts(word_counts(list(texts)), max_features)

    @classmethod
    def from_tokens(cls, token_lists: Iterable[list[str]], max_features: int) -> Vocabulary:
        return cls.from_counts(Counter(chain.from_iterable(token_lists)), max_features)

    @classmethod
    def from_counts(cls, counts: dict[str, int], max_features: int) -> Vocabulary:
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return cls(tuple(w for w, _ in ranked[: max_features - FIRST_WORD_ID]), max_features)

    @property
    def ids(self) -> dict[str, int]:
        """``{word: id}``."""
        return self._ids

    def id(self, word: str) -> int:
        return self._ids.get(word, OOV)

    def lookup(self):
        """The lookup structures of ``tokens.encode``, built on first use."""
        if "_lookup" not in self.__dict__:
            from .tokens import lookup

            object.__setattr__(self, "_lookup", lookup(self))
        return self.__dict__["_lookup"]

    def encode(self, text: str) -> list[int]:
        """One review as ids, start marker first: ``[1, id(tok1), id(tok2), ...]``."""
        return self.encode_tokens(tokenize(text))

    def encode_tokens(self, tokens: Iterable[str]) -> list[int]:
        # map() with repeat() keeps the lookups in C: 50k reviews encode 1.6x faster than with a
        # generator expression (BENCHMARKS.md)
        return [START, *map(self._ids.get, tokens, repeat(OOV))]

    def encode_batch(self, texts: Iterable[str], maxlen: int) -> np.ndarray:
        """Reviews as a padded matrix ``token ids <int32>[len(texts), maxlen]``: the same as
        ``encode_token_lists(map(tokenize, texts), maxlen)``, computed on arrays (tokens.py)."""
        from .tokens import encode

        return encode(list(texts), self, maxlen)

    def encode_token_lists(self, token_lists: Iterable[list[str]], maxlen: int) -> np.ndarray:
        """Already tokenized reviews as ``token ids <int32>[n, maxlen]``."""
        return pad(map(self.encode_tokens, token_lists), maxlen)

    def to_json(self) -> dict:
        return {"max_features": self.max_features, "first_word_id": FIRST_WORD_ID,
                "words": list(self.words)}

    @classmethod
    def from_json(cls, data: dict) -> Vocabulary:
        if data.get("first_word_id") != FIRST_WORD_ID:
            raise UserError("vocabulary uses another id layout (first_word_id must be 3)")
        return cls(tuple(data["words"]), int(data["max_features"]))

    def save(self, path: str | os.PathLike) -> None:
        Path(path).write_text(json.dumps(self.to_json(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def pad(sequences: Iterable[Sequence[int]], maxlen: int) -> np.ndarray:
    """Pad and truncate to ``<int32>[n, maxlen]`` exactly like ``keras.utils.pad_sequences`` with
    its defaults: a long sequence keeps its last ``maxlen`` ids, a short one is left-padded
    with 0."""
    sequences = [s if len(s) <= maxlen else s[-maxlen:] for s in sequences]
    out = np.zeros((len(sequences), maxlen), dtype=np.int32)
    if not sequences:
        return out
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    flat = np.fromiter(chain.from_iterable(sequences), dtype=np.int32, count=int(lengths.sum()))
    rows = np.repeat(np.arange(len(sequences)), lengths)
    # Column of each id: the sequence is right-aligned, so its k-th id sits at maxlen - len + k.
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    cols = maxlen - np.repeat(lengths, lengths) + (np.arange(flat.size) - offsets)
    out[rows, cols] = flat
    return out
