"""The encoded dataset on disk: read and tokenize the archive once per set of inputs.

Reading the archive and turning 50,000 reviews into ids gives the same arrays every time for the
same (archive content, tokenizer version, max_features, maxlen, validation split and, with a
split, the seed). ``load_or_build`` keeps them in ``<cache>/encoded/<key>.npz``: written under a
temporary name and renamed into place, with a SHA-256 of every array inside, checked on each
read. A file that fails the check is rebuilt, never used. The archive's SHA-256 is computed once
and remembered by (path, size, modification time), so a cached run reads none of it.

No pickle: the vocabulary travels as JSON bytes in a uint8 array and ``allow_pickle`` stays off.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .data import ImdbData, cache_dir
from .errors import UserError
from .text import TOKENIZER_VERSION, Vocabulary
from .tokens import build_and_encode

FORMAT = 1  # raise when the file layout changes
ARRAYS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")


@dataclass(frozen=True)
class Encoded:
    """What training needs: ``x_* <int32>[n, maxlen]``, ``y_* <float32>[n]`` (``x_val`` and
    ``y_val`` have 0 rows without a validation split) and the vocabulary."""

    vocabulary: Vocabulary
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def encode_data(data: ImdbData, config) -> Encoded:
    """The vocabulary of the training reviews and every split as ids (cache.py keeps them)."""
    train_set, val_set = data.train, None
    if config.validation_split:
        order = np.random.default_rng(config.seed).permutation(len(train_set))
        n_val = max(1, round(len(train_set) * config.validation_split))
        if n_val >= len(train_set):
            raise UserError(f"--validation-split {config.validation_split} of "
                            f"{len(train_set)} training reviews leaves none to train on")
        val_set, train_set = train_set.take(order[:n_val]), train_set.take(order[n_val:])
    vocabulary, x_train = build_and_encode(train_set.texts, config.max_features, config.maxlen)
    if val_set is not None:
        x_val, y_val = (vocabulary.encode_batch(val_set.texts, config.maxlen),
                        val_set.labels.astype("float32"))
    else:
        x_val, y_val = np.zeros((0, config.maxlen), np.int32), np.zeros(0, np.float32)
    return Encoded(vocabulary, x_train, train_set.labels.astype("float32"), x_val, y_val,
                   vocabulary.encode_batch(data.test.texts, config.maxlen),
                   data.test.labels.astype("float32"))


def folder() -> Path:
    return cache_dir() / "encoded"


def source_digest(source: Path) -> str:
    """SHA-256 of an archive (remembered by path, size and mtime), or of a folder's listing."""
    source = Path(source).resolve()
    if source.is_dir():
        listing = sorted((str(p.relative_to(source)), p.stat().st_size, p.stat().st_mtime_ns)
                         for p in source.rglob("*.txt") if p.is_file())
        return hashlib.sha256(json.dumps(listing).encode()).hexdigest()
    stat = source.stat()
    memo_path = folder() / "archives.json"
    memo = _read_memo(memo_path)
    identity = f"{source}|{stat.st_size}|{stat.st_mtime_ns}"
    if identity not in memo:
        digest = hashlib.sha256()
        with open(source, "rb") as file:
            while chunk := file.read(1 << 20):
                digest.update(chunk)
        memo[identity] = digest.hexdigest()
        _write_atomically(memo_path, lambda f: f.write(json.dumps(memo, indent=1).encode()))
    return memo[identity]


def key(source: Path, config) -> dict:
    return {
        "format": FORMAT,
        "source_sha256": source_digest(source),
        "tokenizer_version": TOKENIZER_VERSION,
        "max_features": config.max_features,
        "maxlen": config.maxlen,
        "validation_split": config.validation_split,
        "seed": config.seed if config.validation_split else None,  # it only draws the split
    }


def path_for(key_: dict) -> Path:
    name = hashlib.sha256(json.dumps(key_, sort_keys=True).encode()).hexdigest()[:32]
    return folder() / f"{name}.npz"


def load_or_build(source: Path, config, build: Callable[[], Encoded], *,
                  note: Callable[[str], None] = lambda message: None) -> Encoded:
    """The cached arrays for ``(source, config)``, or ``build()``'s, which are then cached."""
    key_ = key(source, config)
    path = path_for(key_)
    if path.exists():
        encoded = read(path, key_)
        if encoded is not None:
            note(f"Encoded data from the cache: {path}")
            return encoded
        note(f"Cached file {path} failed its check; rebuilding it")
        path.unlink(missing_ok=True)
    encoded = build()
    try:
        write(path, key_, encoded)
        note(f"Cached the encoded data: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    except OSError as error:  # a read-only or full cache costs time, not the run
        note(f"Could not cache the encoded data in {path.parent}: {error.strerror}")
    return encoded


def summary(source: Path, build: Callable[[], dict]) -> dict:
    """``build()``'s small JSON summary of ``source`` (the ``data`` command's counts), cached
    beside the arrays under the archive's digest."""
    path = folder() / f"summary-{source_digest(source)[:32]}-v{TOKENIZER_VERSION}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    result = build()
    try:
        _write_atomically(path, lambda f: f.write(json.dumps(result).encode()))
    except OSError:
        pass
    return result


def _checksum(arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{array.dtype.str}:{array.shape}".encode())
        digest.update(array.data)
    return digest.hexdigest()


def write(path: Path, key_: dict, encoded: Encoded) -> None:
    arrays = {name: getattr(encoded, name) for name in ARRAYS}
    words = json.dumps(encoded.vocabulary.to_json(), ensure_ascii=False).encode()
    arrays["vocabulary"] = np.frombuffer(words, dtype=np.uint8)
    arrays["key"] = np.frombuffer(json.dumps(key_, sort_keys=True).encode(), dtype=np.uint8)
    checksum = np.frombuffer(_checksum(arrays).encode(), dtype=np.uint8)
    _write_atomically(path, lambda f: np.savez(f, checksum=checksum, **arrays))


def read(path: Path, key_: dict) -> Encoded | None:
    """The arrays in ``path``, or None when it is damaged or holds another key."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        checksum = arrays.pop("checksum").tobytes().decode()
        if checksum != _checksum(arrays):
            return None
        if json.loads(arrays["key"].tobytes()) != json.loads(json.dumps(key_, sort_keys=True)):
            return None
        vocabulary = Vocabulary.from_json(json.loads(arrays["vocabulary"].tobytes()))
        return Encoded(vocabulary, *(arrays[name] for name in ARRAYS))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, UserError):
        return None  # UnicodeDecodeError and json's errors are ValueErrors


def entries() -> list[tuple[Path, int]]:
    """Every cached file with its size in bytes."""
    base = cache_dir()
    if not base.is_dir():
        return []
    return sorted((p, p.stat().st_size) for p in base.rglob("*") if p.is_file())


def clear() -> int:
    """Remove the encoded data and the compiled programs (not the downloaded archive); returns
    the bytes freed."""
    freed = 0
    for sub in (folder(), cache_dir() / "xla"):
        if sub.is_dir():
            freed += sum(p.stat().st_size for p in sub.rglob("*") if p.is_file())
            shutil.rmtree(sub)
    return freed


def _read_memo(path: Path) -> dict:
    try:
        memo = json.loads(path.read_text(encoding="utf-8"))
        return memo if isinstance(memo, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_atomically(path: Path, write_to: Callable) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            write_to(file)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
