"""Your own labeled reviews: a file checked in one pass, a stratified test split, texts streamed.

:func:`open_labeled` reads a CSV, JSONL or Parquet file once (``sources.TextSource``) to check it
before any long work: the text and label columns exist (the message names the columns found),
every label is one ``evaluate`` accepts (0/1, negative/positive, neg/pos; the unknown values are
named), the file is not empty. It keeps only the labels, one byte per review. The texts are read
again, batch by batch, when they are encoded (``encoding.py``), so a file of millions of reviews
is never held as Python strings; the nbsvm kind, which needs its n-grams, loads them
(:meth:`LabeledFile.load`).

:meth:`LabeledFile.stratified_split` holds out the same fraction of each class, drawn with the
seed; each part knows its row numbers and how it was drawn, and the bundle records it
(``data.json`` and ``split.npz``, :func:`save_record`).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from .config import LABELS
from .errors import UserError
from .sources import DEFAULT_LABEL_COLUMN, DEFAULT_TEXT_COLUMN, TextSource, label_id

DEFAULT_TEST_FRACTION = 0.1  # held out when no test file is given (README "Your own data")
BATCH = 4096  # reviews read and encoded at a time
DATA_JSON, SPLIT_NPZ = "data.json", "split.npz"
_NAMED = 5  # unknown label values named in the message at most


@dataclass(frozen=True, eq=False)
class LabeledFile:
    """Some rows of a labeled file: ``rows <int64>[n]`` (record numbers from 0, ascending) and
    their ``labels <int8>[n]`` (0 negative, 1 positive). ``split``: how the rows were drawn."""

    path: Path
    format: str
    text_column: str
    label_column: str
    encoding_errors: str
    records: int  # records in the whole file
    size: int
    sha256: str
    rows: np.ndarray
    labels: np.ndarray
    split: dict | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def source(self) -> TextSource:
        return TextSource(self.path, format=self.format, text_column=self.text_column,
                          label_column=self.label_column, encoding_errors=self.encoding_errors)

    def texts(self, size: int = BATCH) -> Iterator[list[str]]:
        """The texts of this part's rows in file order, ``size`` at a time (the file is read
        again each time)."""
        chosen = np.zeros(self.records, dtype=np.uint8)
        chosen[self.rows] = 1
        chosen = chosen.tobytes()  # indexing bytes is several times faster than an array
        column, batch = self.text_column, []
        for index, (_, row) in enumerate(self.source().rows()):
            if index < len(chosen) and chosen[index]:
                batch.append(row[column])
                if len(batch) == size:
                    yield batch
                    batch = []
        if batch:
            yield batch

    def load(self):
        """This part in memory, as :class:`~imdb_sentiment.data.LabeledTexts` (ids: row
        numbers from 1)."""
        from .data import LabeledTexts

        texts = [t for batch in self.texts() for t in batch]
        return LabeledTexts(texts=texts, labels=self.labels.copy(),
                            ids=[str(r + 1) for r in self.rows],
                            ratings=np.zeros(len(texts), dtype=np.int8))

    def stratified_split(self, test_fraction: float = DEFAULT_TEST_FRACTION,
                         seed: int = 1337) -> tuple[LabeledFile, LabeledFile]:
        """``(train, test)``: ``round(test_fraction * n)`` reviews of each class (at least one,
        never all) drawn for the test part with ``numpy.random.default_rng(seed)``, negative
        class first."""
        if not 0.0 < test_fraction < 1.0:
            raise UserError(f"the test fraction must be between 0 and 1, not {test_fraction}")
        rng = np.random.default_rng(seed)
        held = []
        for label, name in enumerate(LABELS):
            members = np.flatnonzero(self.labels == label)
            if len(members) < 2:
                raise UserError(f"{self.path} has {len(members)} {name} review(s): too few to "
                                f"hold out a test split; give --test-input")
            count = min(max(1, round(len(members) * test_fraction)), len(members) - 1)
            held.append(rng.permutation(members)[:count])
        test = np.zeros(len(self), dtype=bool)
        test[np.concatenate(held)] = True
        how = {"method": "stratified", "test_fraction": test_fraction, "seed": seed}
        return (replace(self, rows=self.rows[~test], labels=self.labels[~test],
                        split={"part": "train", **how}),
                replace(self, rows=self.rows[test], labels=self.labels[test],
                        split={"part": "test", **how}))

    def describe(self) -> dict:
        return {"file": str(self.path), "format": self.format, "bytes": self.size,
                "sha256": self.sha256, "text_column": self.text_column,
                "label_column": self.label_column, "records": self.records,
                **counts(self.labels), **({"split": self.split} if self.split else {})}


def open_labeled(path: str | os.PathLike, *, text_column: str | None = None,
                 label_column: str | None = None, format: str | None = None,
                 encoding_errors: str = "strict") -> LabeledFile:
    """Check every record of a labeled file and keep its labels (see the module docstring)."""
    text_column = text_column or DEFAULT_TEXT_COLUMN
    label_column = label_column or DEFAULT_LABEL_COLUMN
    source = TextSource(path, format=format, text_column=text_column, label_column=label_column,
                        encoding_errors=encoding_errors)
    name = source.name
    labels, unknown = bytearray(), {}
    for number, row in source.rows():
        for column in (text_column, label_column):
            if column not in row:
                raise UserError(f"{name} line {number} has no column {column!r} (it has: "
                                f"{', '.join(map(str, row)) or 'nothing'})")
        if not isinstance(row[text_column], str):
            raise UserError(f"{name} line {number}: {text_column!r} is "
                            f"{json.dumps(row[text_column], default=str)}, not a string")
        label = label_id(row[label_column])
        if label is None:
            unknown.setdefault(json.dumps(row[label_column], default=str), number)
            label = 0
        labels.append(label)
    if unknown:
        named = ", ".join(f"{value} (line {line})" for value, line in
                          list(unknown.items())[:_NAMED])
        more = f" and {len(unknown) - _NAMED} more" if len(unknown) > _NAMED else ""
        raise UserError(f"{name}: column {label_column!r} has labels that are neither 0/1 nor "
                        f"negative/positive: {named}{more}")
    if not labels:
        raise UserError(f"{name} is empty" if source.size == 0 else f"{name} holds no reviews")
    labels = np.frombuffer(bytes(labels), dtype=np.int8).copy()
    return LabeledFile(Path(path), source.format, text_column, label_column, encoding_errors,
                       len(labels), source.size, _sha256(source.path),
                       np.arange(len(labels), dtype=np.int64), labels)


def require_both_classes(labels: np.ndarray, name: str) -> None:
    """A UserError when ``labels`` hold one class only: nothing to learn."""
    found = counts(labels)
    for label, other in ((0, 1), (1, 0)):
        if not found[f"{LABELS[label]}"]:
            raise UserError(f"{name} has only {LABELS[other]} reviews ({len(labels)}); training "
                            f"needs both negative and positive ones")


def counts(labels: np.ndarray) -> dict:
    positive = int(np.count_nonzero(labels))
    return {"reviews": len(labels), LABELS[0]: len(labels) - positive, LABELS[1]: positive}


def text_batches(dataset, size: int = BATCH) -> Iterator[list[str]]:
    """The texts of any labeled set, ``size`` at a time: a :class:`LabeledFile` streams its
    file, an in-memory set (``LabeledTexts``) is sliced."""
    if isinstance(dataset, LabeledFile):
        yield from dataset.texts(size)
        return
    for start in range(0, len(dataset), size):
        yield dataset.texts[start:start + size]


def in_memory(dataset):
    """``LabeledTexts`` for any labeled set (kinds that need every text at once)."""
    return dataset.load() if isinstance(dataset, LabeledFile) else dataset


def describe(dataset) -> dict:
    return dataset.describe() if isinstance(dataset, LabeledFile) else counts(dataset.labels)


def data_record(train_set, test_set, **extra) -> dict:
    """What the bundle says about the data: each set's file (name, size, SHA-256, columns),
    review counts and split; the held-out row numbers under ``test.rows`` (an array)."""
    record = {**extra, "train": describe(train_set), "test": describe(test_set)}
    if isinstance(test_set, LabeledFile) and test_set.split:
        record["test"]["rows"] = test_set.rows
    return record


def save_record(folder: Path, record: dict) -> None:
    """``data.json``, and ``split.npz`` (``test_rows <int64>``: record numbers from 0) when the
    test set was held out of the training file."""
    record = {**record, "test": dict(record.get("test", {}))}
    rows = record["test"].pop("rows", None)
    if rows is not None:
        np.savez_compressed(folder / SPLIT_NPZ, test_rows=np.asarray(rows, dtype=np.int64))
        record["test"]["rows_file"] = SPLIT_NPZ
    (folder / DATA_JSON).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def load_record(folder: Path) -> dict | None:
    path = folder / DATA_JSON
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as error:
        raise UserError(f"cannot read {path}: {error}") from error


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
