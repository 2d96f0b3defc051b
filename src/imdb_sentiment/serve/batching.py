"""The micro-batcher: gathers the reviews of concurrent requests into one model call.

One forward pass over 256 reviews costs far less than 256 passes over one (BENCHMARKS.md,
"Serving"), so requests that arrive within ``max_wait_ms`` of each other are scored together, up
to ``max_batch`` reviews a call. The model runs in one worker thread, off the event loop, so the
server keeps accepting and answering while it computes; calls never overlap, and while one runs
the next batch fills up by itself.

The queue is bounded in reviews (``max_queue``), not in requests, because a request may carry
hundreds of reviews: a submit that would pass the bound raises :class:`QueueFull` at once (the
server answers 503 with Retry-After) instead of letting memory pile up.

``max_batch=1`` with ``max_wait_ms=0`` scores every request on its own: the "without
micro-batching" setting of the benchmark. A request is never split: one larger than
``max_batch`` is one call of its own (the classifier cuts it into forward passes).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


class QueueFull(Exception):
    """The queue holds ``max_queue`` reviews already; try again later."""


@dataclass
class _Job:
    items: Sequence[Any]
    future: asyncio.Future = field(repr=False)


class MicroBatcher:
    """``await batcher.submit(items)`` -> ``fn(items)``, computed together with other requests.

    ``fn(list) -> list`` of the same length and order (e.g. ``Classifier.predict``) runs in
    ``executor`` (a new one-thread pool unless given; several batchers may share one so that
    their model calls never overlap). ``on_batch(n_items)`` is called after each call, for
    metrics. Use ``async with batcher:`` (or ``start()``/``stop()``) inside the event loop.
    """

    def __init__(self, fn: Callable[[list], list], *, max_batch: int = 256,
                 max_wait_ms: float = 5.0, max_queue: int = 8192,
                 executor: concurrent.futures.Executor | None = None,
                 on_batch: Callable[[int], None] | None = None):
        if max_batch < 1 or max_queue < 1 or max_wait_ms < 0:
            raise ValueError("max_batch and max_queue must be >= 1 and max_wait_ms >= 0")
        self.fn, self.max_batch, self.max_queue = fn, max_batch, max_queue
        self.max_wait = max_wait_ms / 1000
        self.on_batch = on_batch
        self._own_executor = executor is None
        self._executor = executor or concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="model")
        self._queue: asyncio.Queue[_Job] | None = None
        self._carry: _Job | None = None  # taken from the queue, waits for the next batch
        self._task: asyncio.Task | None = None
        self.pending = 0  # reviews submitted and not yet answered

    async def __aenter__(self) -> MicroBatcher:
        self.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.stop()

    def start(self) -> None:
        self._queue = asyncio.Queue(maxsize=self.max_queue)  # each job holds >= 1 review
        self._task = asyncio.get_running_loop().create_task(self._run(), name="micro-batcher")

    async def stop(self) -> None:
        """Finish every job already submitted, then stop the worker."""
        while self.pending and self._task and not self._task.done():
            await asyncio.sleep(0.005)
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._own_executor:
            self._executor.shutdown(wait=True)

    async def submit(self, items: Sequence[Any]) -> list:
        """The results of ``fn`` for ``items``, in order; :class:`QueueFull` when over the bound."""
        if self._queue is None:
            raise RuntimeError("MicroBatcher.submit before start()")
        if not items:
            return []
        if self.pending + len(items) > self.max_queue:
            raise QueueFull(f"{self.pending} reviews are waiting; the limit max_queue is "
                            f"{self.max_queue}")
        job = _Job(items, asyncio.get_running_loop().create_future())
        self.pending += len(items)
        try:
            self._queue.put_nowait(job)
            return await job.future
        finally:
            self.pending -= len(items)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._gather(loop)
            items = [item for job in batch for item in job.items]
            try:
                results = await loop.run_in_executor(self._executor, self.fn, items)
                if len(results) != len(items):
                    raise RuntimeError(f"fn gave {len(results)} results for {len(items)} items")
            except Exception as error:  # noqa: BLE001 - handed to every waiting request
                for job in batch:
                    if not job.future.done():
                        job.future.set_exception(error)
                continue
            if self.on_batch:
                self.on_batch(len(items))
            start = 0
            for job in batch:
                if not job.future.done():  # a cancelled request has gone away
                    job.future.set_result(results[start : start + len(job.items)])
                start += len(job.items)

    async def _gather(self, loop) -> list[_Job]:
        """The next batch: the first job waiting, then whatever arrives within ``max_wait`` of
        it, up to ``max_batch`` items. A job that does not fit waits for the next batch."""
        first, self._carry = self._carry or await self._queue.get(), None
        batch, size = [first], len(first.items)
        deadline = loop.time() + self.max_wait
        while size < self.max_batch:
            try:
                job = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                timeout = deadline - loop.time()
                if timeout <= 0:
                    break
                try:
                    job = await asyncio.wait_for(self._queue.get(), timeout)
                except asyncio.TimeoutError:  # TimeoutError from Python 3.11 on
                    break
            if size + len(job.items) > self.max_batch:
                self._carry = job
                break
            batch.append(job)
            size += len(job.items)
        return batch
