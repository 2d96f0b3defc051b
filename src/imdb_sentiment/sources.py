"""Reviews in files: stream plain text, CSV or JSONL in batches; write CSV or JSONL atomically.

Every input is read as bytes and decoded one line at a time, so a bad byte or a malformed record is
reported with its line number, and a file of a million reviews is never held in memory: callers
take :meth:`TextSource.batches`. Formats come from the file suffix (``.txt``, ``.csv``,
``.jsonl``/``.ndjson``) unless given. A record's id is its ``id_column`` (``id`` when the input has
one), else the line number where the record starts.

Output goes to a temporary file beside the target that is renamed into place only when writing
succeeded, so an error never leaves a partial file behind; it gets the umask's mode, and a full
disk or a file-size limit is a one-line error. No NaN or infinity is ever written as JSON.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .atomic import atomic_file
from .errors import UserError
from .paths import check_file_output

INPUT_FORMATS = ("txt", "csv", "jsonl", "parquet")
OUTPUT_FORMATS = ("csv", "jsonl", "parquet")
_SUFFIXES = {".txt": "txt", ".text": "txt", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
             ".parquet": "parquet"}
PARQUET_HINT = "Parquet files need pyarrow: pip install 'imdb-sentiment[parquet]'"
ENCODING_ERRORS = ("strict", "replace")
DEFAULT_TEXT_COLUMN, DEFAULT_ID_COLUMN, DEFAULT_LABEL_COLUMN = "text", "id", "label"
STDIN = Path("-")
# Python's csv module refuses a field over 128 KiB; a review can be longer. The limit stays
# (a C long on every platform) so that a file with one unclosed quote still ends in an error.
CSV_FIELD_LIMIT = 2**31 - 1

# The accepted spellings of each label id (config.LABELS: 0 negative, 1 positive), lower-cased.
_LABEL_VALUES = {"0": 0, "negative": 0, "neg": 0, "1": 1, "positive": 1, "pos": 1}


class Record(NamedTuple):
    id: object  # the id column's value (str in CSV, any JSON scalar in JSONL), else the line number
    text: str
    line: int  # 1-based line where the record starts, for messages
    label: int | None = None  # 0 or 1 when a label column was asked for


def format_of(path: Path, given: str | None, formats: tuple[str, ...]) -> str:
    """``given``, else the format named by the suffix of ``path``; a UserError when neither fits."""
    if given is not None:
        if given not in formats:
            raise UserError(f"format {given!r} is not one of {', '.join(formats)}")
        return given
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt not in formats:
        raise UserError(f"cannot tell the format of {path} from its suffix: use "
                        f"{' or '.join('.' + f for f in formats)}" + (
                            ", or name it with --format" if "txt" in formats else ""))
    return fmt


class TextSource:
    """Reviews from a file (``Path("-")`` is standard input), read lazily in file order.

    ``bytes_read`` grows as records are taken, against ``size`` (None for standard input), for
    progress bars.
    """

    def __init__(self, path: str | os.PathLike, *, format: str | None = None,
                 text_column: str | None = None, id_column: str | None = None,
                 label_column: str | None = None, encoding_errors: str = "strict"):
        self.path = Path(path)
        self.name = "standard input" if self.path == STDIN else str(self.path)
        if self.path != STDIN and not self.path.is_file():
            raise UserError(f"input {self.path} is not a file" if self.path.exists() else
                            f"input file {self.path} does not exist")
        self.format = "txt" if self.path == STDIN and format is None else format_of(
            self.path, format, INPUT_FORMATS)
        if self.format == "txt" and label_column:
            raise UserError(f"{self.name} is plain text; labeled input must be CSV or JSONL "
                            f"with text and label columns")
        if self.format == "txt" and (text_column or id_column):
            raise UserError("--text-column and --id-column apply to CSV and JSONL input; "
                            "plain text has one review per line")
        if encoding_errors not in ENCODING_ERRORS:
            raise UserError(f"--encoding-errors must be one of {', '.join(ENCODING_ERRORS)}")
        self.text_column = text_column or DEFAULT_TEXT_COLUMN
        self.id_column, self.label_column = id_column, label_column
        self.encoding_errors = encoding_errors
        self.size = None if self.path == STDIN else self.path.stat().st_size
        self.bytes_read = 0

    def __iter__(self) -> Iterator[Record]:
        yield from self._records(self.rows())

    def rows(self) -> Iterator[tuple[int, dict]]:
        """``(line, {column: value})`` as read, before any column is picked or checked: for
        readers that take their own columns (``labeled.py`` reads labels in a first pass)."""
        if self.format == "parquet":
            yield from self._parquet_rows()
            return
        with self._open() as stream:
            rows = {"txt": _txt_rows, "csv": _csv_rows, "jsonl": _jsonl_rows}[self.format]
            yield from rows(self._lines(stream), self.name)

    def batches(self, size: int) -> Iterator[list[Record]]:
        """Lists of at most ``size`` records, in file order."""
        return batched(self, size)

    def _parquet_rows(self) -> Iterator[tuple[int, dict]]:
        """Rows of a Parquet file, 1024 at a time whatever its row groups; the "line" is the
        row number."""
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise UserError(PARQUET_HINT) from None
        if self.path == STDIN:
            raise UserError("Parquet cannot be read from standard input")
        try:
            parquet = pq.ParquetFile(self.path)
        except Exception as error:  # pyarrow raises ArrowInvalid and OSError subclasses
            raise UserError(f"{self.name} is not a readable Parquet file: {error}") from None
        number, rows = 0, max(1, parquet.metadata.num_rows)
        with parquet:
            for batch in parquet.iter_batches(batch_size=1024):
                for row in batch.to_pylist():
                    number += 1
                    yield number, row
                self.bytes_read = self.size * number // rows

    @contextmanager
    def _open(self):
        if self.path == STDIN:
            yield sys.stdin.buffer
            return
        try:
            stream = open(self.path, "rb")
        except OSError as error:
            raise UserError(f"cannot read {self.path}: {error.strerror}") from error
        with stream:
            yield stream

    def _lines(self, stream) -> Iterator[tuple[int, str]]:
        """``(line number, decoded line)``; bytes that are not UTF-8 stop it with a UserError
        naming the line, unless ``encoding_errors`` is "replace"."""
        for number, raw in enumerate(stream, 1):
            self.bytes_read += len(raw)
            try:
                line = raw.decode("utf-8", errors=self.encoding_errors)
            except UnicodeDecodeError as error:
                raise UserError(
                    f"{self.name} line {number} is not valid UTF-8 (byte {error.start + 1}); "
                    f"use --encoding-errors replace to replace bad bytes") from None
            yield number, line.removeprefix("\ufeff") if number == 1 else line

    def _records(self, rows: Iterable[tuple[int, dict]]) -> Iterator[Record]:
        id_column = self.id_column
        for number, row in rows:
            if id_column is None:  # decided once, on the first record
                id_column = DEFAULT_ID_COLUMN if DEFAULT_ID_COLUMN in row else ""
            text = self._field(row, self.text_column, number)
            if not isinstance(text, str):
                raise UserError(f"{self.name} line {number}: {self.text_column!r} is "
                                f"{json.dumps(text)}, not a string")
            record_id = self._field(row, id_column, number) if id_column else number
            label = (parse_label(self._field(row, self.label_column, number), number, self.name)
                     if self.label_column else None)
            yield Record(record_id, text, number, label)

    def _field(self, row: dict, column: str, number: int):
        if column not in row:
            raise UserError(f"{self.name} line {number} has no column {column!r} "
                            f"(it has: {', '.join(map(str, row)) or 'nothing'})")
        return row[column]


def label_id(value) -> int | None:
    """0/1 (number or string) or negative/positive (also neg/pos, any case) -> 0 or 1; None for
    anything else."""
    key = value.strip().lower() if isinstance(value, str) else (
        str(value) if isinstance(value, int) and not isinstance(value, bool) else None)
    return _LABEL_VALUES.get(key)


def parse_label(value, line: int, name: str) -> int:
    """:func:`label_id`, or a UserError naming the line."""
    label = label_id(value)
    if label is None:
        raise UserError(f"{name} line {line}: label {json.dumps(value)} is neither 0/1 nor "
                        f"negative/positive")
    return label


def read_labeled(source: TextSource):
    """Every record of a source with a label column, as :class:`~imdb_sentiment.data.LabeledTexts`
    (``labels <int8>[n]``; ``ratings`` are all 0, unknown)."""
    from .data import LabeledTexts

    if source.label_column is None:
        raise UserError("labeled input needs a label column")
    records = list(source)
    return LabeledTexts(
        texts=[r.text for r in records],
        labels=np.array([r.label for r in records], dtype=np.int8),
        ids=[str(r.id) for r in records],
        ratings=np.zeros(len(records), dtype=np.int8),
    )


def batched(items: Iterable, size: int) -> Iterator[list]:
    """``[items 0..size-1], [size..2*size-1], ...``; the last list may be shorter."""
    if size < 1:
        raise UserError("batch size must be at least 1")
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _txt_rows(lines: Iterable[tuple[int, str]], name: str) -> Iterator[tuple[int, dict]]:
    """One review per line; blank lines are skipped (ids stay line numbers)."""
    for number, line in lines:
        text = line.rstrip("\r\n")
        if text.strip():
            yield number, {DEFAULT_TEXT_COLUMN: text}


def _csv_rows(lines: Iterable[tuple[int, str]], name: str) -> Iterator[tuple[int, dict]]:
    """The first row is the header; every row must have as many fields as the header."""
    csv.field_size_limit(CSV_FIELD_LIMIT)
    reader = csv.reader((line for _, line in lines), strict=True)
    header = None
    while True:
        start = reader.line_num + 1  # line_num counts the lines consumed so far
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise UserError(f"{name} line {start} is not valid CSV: {error}") from None
        if header is None:
            header = row
            continue
        if not row:  # a blank line
            continue
        if len(row) != len(header):
            raise UserError(f"{name} line {start} has {len(row)} fields, but the header has "
                            f"{len(header)}")
        yield start, dict(zip(header, row, strict=True))


def _jsonl_rows(lines: Iterable[tuple[int, str]], name: str) -> Iterator[tuple[int, dict]]:
    """One JSON object per line; blank lines are skipped."""
    for number, line in lines:
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except RecursionError:
            raise UserError(f"{name} line {number} is JSON nested too deeply") from None
        except ValueError as error:
            raise UserError(f"{name} line {number} is not valid JSON: {error}") from None
        if not isinstance(row, dict):
            raise UserError(f"{name} line {number} is not a JSON object")
        yield number, row


class RecordWriter:
    """Rows (dicts with the same keys) to CSV or JSONL, through a temporary file beside ``path``.

    Use as a context manager: the file appears at ``path`` only when the block ends without an
    exception; otherwise the temporary file is removed. A dict cell (``{word: contribution}``)
    is written as JSON in JSONL and as ``word:+0.123 word:-0.045`` in CSV.
    """

    def __init__(self, path: str | os.PathLike, columns: list[str]):
        self.path = Path(path)
        self.format = format_of(self.path, None, OUTPUT_FORMATS)
        self.columns = columns
        self.count = 0

    def __enter__(self) -> RecordWriter:
        check_file_output(self.path)
        self._atomic = atomic_file(self.path, "wb" if self.format == "parquet" else "w", newline="")
        self._file = self._atomic.__enter__()
        try:
            if self.format == "parquet":
                self._parquet = self._guarded(_ParquetRows, self._file, self.columns)
            elif self.format == "csv":
                self._csv = csv.writer(self._file)
                self._guarded(self._csv.writerow, self.columns)
        except BaseException as error:  # no temporary file is left behind
            self._atomic.__exit__(type(error), error, error.__traceback__)
            raise
        return self

    def write(self, rows: Iterable[dict]) -> None:
        self._guarded(self._write, rows)

    def _write(self, rows: Iterable[dict]) -> None:
        if self.format == "parquet":
            self.count += self._parquet.write(rows)
            return
        for row in rows:
            if self.format == "csv":
                self._csv.writerow([_csv_cell(row[c]) for c in self.columns])
            else:
                self._file.write(json.dumps({c: row[c] for c in self.columns},
                                            ensure_ascii=False, allow_nan=False) + "\n")
            self.count += 1

    def _guarded(self, function, *args):
        try:
            return function(*args)
        except OSError as error:  # a full disk, say
            from .atomic import describe

            raise UserError(f"cannot write {self.path}: {describe(error)}") from error
        except ValueError as error:
            raise UserError(f"refusing to write {self.path}: {error}") from error

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None and self.format == "parquet":
            try:
                self._guarded(self._parquet.close)  # the footer: the file is complete only now
            except BaseException as error:
                self._atomic.__exit__(type(error), error, error.__traceback__)
                raise
        self._atomic.__exit__(exc_type, exc, tb)


class _ParquetRows:
    """Each ``write`` of rows becomes one row group; a dict cell is stored as JSON text."""

    def __init__(self, file, columns: list[str]):
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UserError(PARQUET_HINT) from None
        self.file, self.columns, self.writer = file, columns, None

    def write(self, rows: Iterable[dict]) -> int:
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {c: [] for c in self.columns}
        for row in rows:
            for c in self.columns:
                value = row[c]
                columns[c].append(json.dumps(value, ensure_ascii=False)
                                  if isinstance(value, dict) else value)
        table = pa.table(columns)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.file, table.schema)
        self.writer.write_table(table.cast(self.writer.schema))
        return table.num_rows

    def close(self) -> None:
        if self.writer is None:  # no rows: still a valid, empty file with the columns
            import pyarrow as pa
            import pyarrow.parquet as pq

            self.writer = pq.ParquetWriter(self.file, pa.schema(
                [(c, pa.string()) for c in self.columns]))
        self.writer.close()


def _csv_cell(value):
    if isinstance(value, dict):
        return " ".join(f"{key}:{number:+.3f}" for key, number in value.items())
    return value
