"""Word vectors pretrained on the archive's own unlabeled reviews, for the ``birnn`` kind.

The labeled training reviews are few (25,000) for learning what 30,000 words mean; aclImdb also
holds 50,000 unlabeled reviews (``train/unsup``). Word2vec (gensim's skip-gram) learns vectors
from those plus the training texts the model is fitted on — never the test texts, and never the
validation reviews' labels (their texts are training reviews, as in the published
semi-supervised IMDB work) — and they become the starting embedding, which training then refines.

Pretraining takes minutes, so the vectors are cached (``IMDB_SENTIMENT_CACHE`` or
``~/.cache/imdb-sentiment``/``word_vectors``) under a key of the texts and the settings: a second
run on the same data and settings reads them back in a second. The cache holds only arrays and
words (``.npz``, read with ``allow_pickle=False``). gensim is the ``strong`` extra: only
pretraining imports it.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import tarfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import UserError

_UNSUP = re.compile(r"(?:^|/)aclImdb/train/unsup/\d+_0\.txt$")
SETTINGS = {"sg": 1, "window": 5, "min_count": 3, "negative": 5, "sample": 1e-4}  # skip-gram


def unlabeled_texts(source: str | os.PathLike) -> list[str]:
    """The texts of ``train/unsup`` in an aclImdb archive or folder (none: an empty list)."""
    source = Path(source)
    texts: list[tuple[str, str]] = []
    if source.is_dir():
        root = source if (source / "train").is_dir() else source / "aclImdb"
        folder = root / "train" / "unsup"
        if folder.is_dir():
            texts = [(f.name, f.read_bytes().decode("utf-8", errors="replace"))
                     for f in folder.iterdir() if f.suffix == ".txt"]
    elif source.is_file():
        with (open(source, "rb") as raw, gzip.GzipFile(fileobj=raw) as unzipped,
              tarfile.open(fileobj=unzipped, mode="r|") as archive):
            for member in archive:
                if member.isfile() and _UNSUP.search(member.name):
                    data = archive.extractfile(member).read()
                    texts.append((member.name, data.decode("utf-8", errors="replace")))
    return [text for _, text in sorted(texts)]  # a fixed order: the same vectors every run


def cache_key(token_lists: Sequence[list[str]], dim: int, epochs: int, seed: int) -> str:
    digest = hashlib.sha256(repr((dim, epochs, seed, sorted(SETTINGS.items()))).encode())
    for tokens in token_lists:
        digest.update(" ".join(tokens).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:24]


def pretrain(token_lists: Sequence[list[str]], dim: int, epochs: int, seed: int, *,
             cache: Path | None = None, say=print) -> tuple[list[str], np.ndarray]:
    """Skip-gram word2vec on ``token_lists``: ``(words, vectors <float32>[len(words), dim])``.

    ``cache``: a folder to read the vectors from, or write them to, under :func:`cache_key`.
    """
    path = None
    if cache is not None:
        path = Path(cache) / f"word2vec-{cache_key(token_lists, dim, epochs, seed)}.npz"
        if path.is_file():
            with np.load(path, allow_pickle=False) as stored:
                say(f"word vectors: read from the cache {path}")
                return [str(w) for w in stored["words"]], stored["vectors"]
    try:
        from gensim.models import Word2Vec
    except ImportError as error:
        raise UserError("pretrained word vectors need gensim: pip install "
                        "'imdb-sentiment[strong]' (or set pretrain_epochs to 0)") from error
    start = time.perf_counter()
    model = Word2Vec(sentences=list(token_lists), vector_size=dim, epochs=epochs, seed=seed,
                     workers=max(1, min(4, os.cpu_count() or 1)), **SETTINGS)
    words = list(model.wv.index_to_key)
    vectors = model.wv.vectors.astype(np.float32)
    say(f"word vectors: {len(words)} words x {dim} from {len(token_lists)} texts in "
        f"{time.perf_counter() - start:.0f} s")
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.npz")
        np.savez(partial, words=np.array(words, dtype=str), vectors=vectors)
        partial.replace(path)  # never a half-written cache file under the real name
    return words, vectors


def embedding_matrix(vocabulary_words: Sequence[str], first_id: int, size: int,
                     words: Sequence[str], vectors: np.ndarray, seed: int) -> np.ndarray:
    """``<float32>[size, dim]``: row ``first_id + i`` is the vector of ``vocabulary_words[i]``;
    words without one (and the reserved ids) get small random rows on the vectors' scale."""
    dim = vectors.shape[1]
    scale = float(vectors.std()) if vectors.size else 0.05
    matrix = np.random.default_rng(seed).normal(0.0, scale, (size, dim)).astype(np.float32)
    matrix[0] = 0.0  # padding
    index = {w: i for i, w in enumerate(words)}
    for row, word in enumerate(vocabulary_words, first_id):
        i = index.get(word)
        if i is not None:
            matrix[row] = vectors[i]
    return matrix


def default_cache() -> Path:
    from .data import cache_dir

    return cache_dir() / "word_vectors"
