"""Score a stream of reviews batch by batch: records in, result rows out, memory bounded by a batch.

This is the path of ``imdb-sentiment predict`` (and of bench/predict.py): read a batch of
:class:`~imdb_sentiment.sources.Record`, predict (or explain) it in one call, hand on the rows.
Predicting is pipelined: a thread reads and tokenizes the next batches while the model scores the
current one (XLA releases the GIL while it runs), at most ``PREFETCH`` batches ahead.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

from .sources import Record, RecordWriter, batched

BATCH_SIZE = 4000  # reviews read, scored and written at a time: fastest measured (BENCHMARKS.md)
PREFETCH = 2  # batches read and encoded ahead of the model
TOP_WORDS = 5  # words highlighted or listed per review with --explain

COLUMNS = ["id", "label", "probability"]
EXPLAIN_COLUMNS = [*COLUMNS, "top_words"]


def score_batches(classifier, batches: Iterable[list[Record]], *, explain_top: int = 0,
                  method: str | None = None) -> Iterator[tuple[list[Record], list]]:
    """Each batch with its :class:`Prediction` list, or, when ``explain_top`` > 0, its
    :class:`Explanation` list by ``method`` (see :meth:`Classifier.explain`)."""
    if explain_top:
        for batch in batches:
            yield batch, classifier.explain([record.text for record in batch], method=method)
        return
    encode = classifier.encode
    for batch, ids in prefetched(batches, lambda batch: encode([r.text for r in batch])):
        yield batch, classifier.predict_encoded(ids)


class _Failed(NamedTuple):
    error: BaseException


_DONE = object()


def prefetched(items: Iterable, prepare: Callable, depth: int = PREFETCH) -> Iterator[tuple]:
    """``(item, prepare(item))`` for each item, computed by a thread up to ``depth`` items
    ahead. An error in the thread is raised here; leaving the loop early stops the thread."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(value) -> bool:
        while not stop.is_set():
            try:
                ready.put(value, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def work():
        try:
            for item in items:
                if not put((item, prepare(item))):
                    return
            put(_DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, raised there
            put(_Failed(error))

    thread = threading.Thread(target=work, name="imdb-sentiment-prefetch", daemon=True)
    thread.start()
    try:
        while (value := ready.get()) is not _DONE:
            if isinstance(value, _Failed):
                raise value.error
            yield value
    finally:
        stop.set()
        thread.join(timeout=1.0)  # a read blocked on a pipe must not hang the caller


def result_row(record: Record, result, explain_top: int = 0) -> dict:
    """The output row of one review: id, label, probability (rounded to 6 places) and, for an
    :class:`Explanation`, ``top_words``: up to ``explain_top`` words as ``{word: contribution}``."""
    prediction = result.prediction if explain_top else result
    row = {"id": record.id, "label": prediction.label,
           "probability": round(prediction.probability, 6)}
    if explain_top:
        words = row["top_words"] = {}
        for token in result.top(explain_top):  # strongest first; a repeated word keeps its top
            if token.contribution:
                words.setdefault(token.token, round(token.contribution, 4))
    return row


def score_file(classifier, records: Iterable[Record], output: str | os.PathLike, *,
               batch_size: int = BATCH_SIZE, explain_top: int = 0, method: str | None = None,
               on_batch: Callable[[int], None] | None = None) -> int:
    """Score ``records`` (a :class:`~imdb_sentiment.sources.TextSource` or any iterable) into
    ``output`` (.csv or .jsonl), ``batch_size`` at a time; returns the count.

    ``on_batch(n)`` is called after each batch of n reviews is written (progress). On any error
    no output file is left behind.
    """
    with RecordWriter(output, EXPLAIN_COLUMNS if explain_top else COLUMNS) as writer:
        for batch, results in score_batches(classifier, batched(records, batch_size),
                                            explain_top=explain_top, method=method):
            writer.write(result_row(record, result, explain_top)
                         for record, result in zip(batch, results, strict=True))
            if on_batch:
                on_batch(len(batch))
    return writer.count
