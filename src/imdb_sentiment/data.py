"""The IMDB Large Movie Review Dataset: find it, download and verify it, read it in one pass.

The canonical layout is ``aclImdb/{train,test}/{pos,neg}/ID_RATING.txt`` (Maas et al. 2011).
Reviews are read straight from the ``.tar.gz`` in one streaming pass (extracting 100k small files
is much slower) or from an extracted folder; ``train/unsup`` and the bag-of-words files are ignored.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import tarfile
import tempfile
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .errors import UserError

URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
ARCHIVE_NAME = "aclImdb_v1.tar.gz"
DATA_ENV = "IMDB_SENTIMENT_DATA"  # path of an archive or folder to use instead of downloading
CACHE_ENV = "IMDB_SENTIMENT_CACHE"  # folder for the downloaded archive

SPLITS = ("train", "test")
LABEL_DIRS = {"neg": 0, "pos": 1}  # the one place a folder name becomes a label id (config.LABELS)
_REVIEW_PATH = re.compile(r"(?:^|/)aclImdb/(train|test)/(pos|neg)/(\d+)_(\d+)\.txt$")
# The longest aclImdb review is 14 kB. A member or file over this is refused unread (a
# decompression bomb would otherwise fill the memory); reading stops at the cap either way.
MAX_REVIEW_BYTES = 1 << 20


class Review(NamedTuple):
    split: str  # "train" or "test"
    label: int  # 0 negative, 1 positive
    id: int  # the number in the file name; unique within (split, label)
    rating: int  # the star rating, 1-4 for negative and 7-10 for positive reviews
    text: str


@dataclass(frozen=True)
class LabeledTexts:
    """Texts with labels in a fixed order: ``labels <int8>[n]``, ``ratings <int8>[n]`` (0: none)."""

    texts: list[str]
    labels: np.ndarray
    ids: list[str]
    ratings: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, indices) -> LabeledTexts:
        indices = np.asarray(indices, dtype=np.int64)
        return LabeledTexts(
            texts=[self.texts[i] for i in indices],
            labels=self.labels[indices],
            ids=[self.ids[i] for i in indices],
            ratings=self.ratings[indices],
        )

    @classmethod
    def from_reviews(cls, reviews: list[Review]) -> LabeledTexts:
        return cls(
            texts=[r.text for r in reviews],
            labels=np.array([r.label for r in reviews], dtype=np.int8),
            ids=[f"{r.split}/{'pos' if r.label else 'neg'}/{r.id}" for r in reviews],
            ratings=np.array([r.rating for r in reviews], dtype=np.int8),
        )


@dataclass(frozen=True)
class ImdbData:
    train: LabeledTexts
    test: LabeledTexts
    source: Path


def cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "imdb-sentiment"


def resolve_data_path(path: str | os.PathLike | None = None, *, download: bool = True) -> Path:
    """The archive or folder to read: ``path``, else $IMDB_SENTIMENT_DATA, else the cached
    canonical archive, downloaded and verified first if it is not there yet."""
    if path is None and os.environ.get(DATA_ENV):
        path = os.environ[DATA_ENV]
    if path is not None:
        path = Path(path).expanduser()
        if not path.exists():
            raise UserError(f"data path {path} does not exist")
        return path
    cached = cache_dir() / ARCHIVE_NAME
    if not cached.exists():
        if not download:
            raise UserError(f"no data given and {cached} is not downloaded yet")
        download_file(URL, cached, SHA256)
    return cached


def download_file(url: str, dest: Path, sha256: str, *, progress: bool = True) -> Path:
    """Download ``url`` next to ``dest``, check its SHA-256, and only then move it into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with _progress(f"Downloading {url}", total, enabled=progress) as advance:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
                    digest.update(chunk)
                    advance(len(chunk))
        if digest.hexdigest() != sha256:
            raise UserError(
                f"checksum mismatch for {url}: expected SHA-256 {sha256}, got {digest.hexdigest()}"
            )
        os.replace(tmp, dest)
    except OSError as error:
        raise UserError(f"could not download {url}: {error}") from error
    finally:
        tmp.unlink(missing_ok=True)
    return dest


class _progress:
    """A rich progress bar over bytes, or nothing when disabled."""

    def __init__(self, description: str, total: int | None, *, enabled: bool):
        self.description, self.total, self.enabled = description, total, enabled

    def __enter__(self):
        if not self.enabled:
            return lambda n: None
        from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

        columns = (*Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn())
        self._bar = Progress(*columns)
        self._bar.start()
        task = self._bar.add_task(self.description, total=self.total)
        return lambda n: self._bar.advance(task, n)

    def __exit__(self, *exc):
        if self.enabled:
            self._bar.stop()


def iter_reviews(path: str | os.PathLike) -> Iterator[Review]:
    """Yield every labeled review of an aclImdb archive or folder, in the order stored."""
    path = Path(path)
    if path.is_dir():
        yield from _iter_folder(path)
    elif path.is_file():
        yield from _iter_archive(path)
    else:
        raise UserError(f"data path {path} does not exist")


def _review(match: re.Match, raw: bytes) -> Review:
    split, label_dir, review_id, rating = match.groups()
    text = raw.decode("utf-8", errors="replace")
    rating = int(rating) if len(rating) <= 2 and int(rating) <= 10 else 0  # 0: not a star rating
    return Review(split, LABEL_DIRS[label_dir], int(review_id), rating, text)


def _too_big(name: str, size: int) -> UserError:
    return UserError(f"{name} is {size:,} bytes, over the {MAX_REVIEW_BYTES:,} a review may "
                     f"have; not an aclImdb review")


def _iter_archive(path: Path) -> Iterator[Review]:
    try:
        with (open(path, "rb") as raw, gzip.GzipFile(fileobj=raw) as unzipped,
              tarfile.open(fileobj=unzipped, mode="r|") as archive):
            for member in archive:
                match = _REVIEW_PATH.search(member.name)
                if match and member.isfile():
                    if member.size > MAX_REVIEW_BYTES:
                        raise _too_big(f"{path}: {member.name}", member.size)
                    yield _review(match, archive.extractfile(member).read(MAX_REVIEW_BYTES))
            # tarfile stops quietly at a short read; reading the gzip stream to its end raises
            # EOFError instead when the archive was truncated (an interrupted download).
            while unzipped.read(1 << 20):
                pass
    except PermissionError as error:
        raise UserError(f"cannot read {path}: permission denied") from error
    except UserError:
        raise
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, OSError) as error:
        raise UserError(f"{path} is not a readable .tar.gz archive ({error})") from error


def _iter_folder(path: Path) -> Iterator[Review]:
    """The review files of an extracted folder. Symbolic links and anything that is not a
    regular file (a FIFO would block the read forever) are skipped, as the archive reader skips
    links and special members, so nothing outside the data folder is ever read."""
    root = path if (path / "train").is_dir() or (path / "test").is_dir() else path / "aclImdb"
    for split in SPLITS:
        for label_dir in LABEL_DIRS:
            folder = root / split / label_dir
            if folder.is_symlink() or (root / split).is_symlink() or not folder.is_dir():
                continue
            try:
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as error:
                raise UserError(f"cannot read {folder}: {error.strerror}") from error
            for entry in entries:
                match = _REVIEW_PATH.search(f"aclImdb/{split}/{label_dir}/{entry.name}")
                if not match or not entry.is_file(follow_symlinks=False):
                    continue
                try:
                    with open(entry.path, "rb", opener=_no_follow) as file:
                        size = os.fstat(file.fileno()).st_size
                        if size > MAX_REVIEW_BYTES:
                            raise _too_big(entry.path, size)
                        raw = file.read(MAX_REVIEW_BYTES)
                except OSError as error:
                    raise UserError(f"cannot read {entry.path}: {error.strerror}") from error
                yield _review(match, raw)


def _no_follow(path, flags):
    """Open without following a link and without blocking on a FIFO swapped in meanwhile."""
    return os.open(path, flags | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))


def load_imdb(path: str | os.PathLike | None = None, *, download: bool = True) -> ImdbData:
    """Read the train and test splits (sorted by label, then id, so archive and folder agree)."""
    source = resolve_data_path(path, download=download)
    splits: dict[str, list[Review]] = {split: [] for split in SPLITS}
    for review in iter_reviews(source):
        splits[review.split].append(review)
    for split, reviews in splits.items():
        if not reviews:
            raise UserError(
                f"{source} has no {split} reviews: expected the aclImdb layout "
                f"aclImdb/{split}/{{pos,neg}}/ID_RATING.txt"
            )
        reviews.sort(key=lambda r: (r.label, r.id))
    return ImdbData(
        train=LabeledTexts.from_reviews(splits["train"]),
        test=LabeledTexts.from_reviews(splits["test"]),
        source=source,
    )

