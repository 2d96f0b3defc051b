"""A file of reviews scored into a CSV: the page's upload, the same rows as
``imdb-sentiment predict --input FILE --output scored.csv``.

The upload is read by the command line's own :class:`~imdb_sentiment.sources.TextSource` (same
formats, ids, UTF-8 checks and messages) from a temporary file, and its reviews go through the
micro-batcher in batches, so a large file shares the model fairly with other requests.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from ..errors import UserError
from ..scoring import COLUMNS, result_row
from ..sources import INPUT_FORMATS, Record, RecordWriter, TextSource, batched
from .errors import ApiError, too_large
from .settings import ServeSettings

FILE_PATH = "/v1/predict/file"


async def score_upload(data: bytes, *, format: str, text_column: str | None,
                       id_column: str | None, encoding_errors: str, settings: ServeSettings,
                       score: Callable[[list[str]], Awaitable[list]]) -> tuple[bytes, int]:
    """``(CSV bytes, number of reviews)``; :class:`ApiError` 422 for a file that cannot be
    read, 413 for a review over ``max_chars``."""
    if format not in INPUT_FORMATS:
        raise ApiError(422, "invalid_request",
                       f"format must be one of {', '.join(INPUT_FORMATS)}, not {format[:20]!r}")
    with tempfile.TemporaryDirectory(prefix="imdb-sentiment-upload-") as folder:
        path = Path(folder) / f"upload.{format}"
        path.write_bytes(data)
        records = await asyncio.to_thread(_read, path, format, text_column, id_column,
                                          encoding_errors)
        if not records:
            raise ApiError(422, "invalid_file", "the file holds no reviews")
        for record in records:
            if len(record.text) > settings.max_chars:
                raise too_large("max_chars", settings.max_chars,
                                f"the review at line {record.line} has {len(record.text)} "
                                f"characters")
        rows = []
        for batch in batched(records, settings.max_batch):
            results = await score([record.text for record in batch])
            rows.extend(result_row(r, p) for r, p in zip(batch, results, strict=True))
        return await asyncio.to_thread(_write_csv, Path(folder) / "scored.csv", rows), len(rows)


def _read(path: Path, format: str, text_column, id_column, encoding_errors) -> list[Record]:
    try:
        source = TextSource(path, format=format, text_column=text_column or None,
                            id_column=id_column or None, encoding_errors=encoding_errors)
        source.name = "the uploaded file"  # messages name it, not the temporary path
        return list(source)
    except UserError as error:
        message = str(error).replace(str(path), "the uploaded file")
        raise ApiError(422, "invalid_file", message) from None


def _write_csv(path: Path, rows: list[dict]) -> bytes:
    with RecordWriter(path, COLUMNS) as writer:
        writer.write(rows)
    return path.read_bytes()
