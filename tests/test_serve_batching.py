"""The micro-batcher on its own, without HTTP: gathering, order, bounds, errors, draining."""

from __future__ import annotations

import asyncio
import threading

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed")

from imdb_sentiment.serve.batching import MicroBatcher, QueueFull  # noqa: E402


class Recorder:
    """``fn`` for the batcher: doubles each item, records each call's items and thread; can be
    held in the middle of a call until ``release`` is set."""

    def __init__(self, hold: bool = False):
        self.calls, self.threads = [], []
        self.entered, self.release = threading.Event(), threading.Event()
        if not hold:
            self.release.set()

    def __call__(self, items):
        self.calls.append(list(items))
        self.threads.append(threading.current_thread())
        self.entered.set()
        self.release.wait(10)
        return [2 * x for x in items]


def run(coroutine):
    return asyncio.run(coroutine)


def test_concurrent_requests_share_one_call_and_get_their_own_answers_in_order():
    fn = Recorder()

    async def main():
        async with MicroBatcher(fn, max_batch=10, max_wait_ms=1000) as batcher:
            return await asyncio.gather(*(batcher.submit([i]) for i in range(10)))

    assert run(main()) == [[2 * i] for i in range(10)]
    assert fn.calls == [list(range(10))]  # a full batch goes at once, without the wait


def test_model_runs_in_a_worker_thread_while_the_event_loop_goes_on():
    fn = Recorder(hold=True)

    async def main():
        async with MicroBatcher(fn, max_batch=4, max_wait_ms=0) as batcher:
            pending = asyncio.ensure_future(batcher.submit([1, 2]))
            while not fn.entered.is_set():
                await asyncio.sleep(0.001)  # the loop runs while the model call is held
            assert not pending.done()
            fn.release.set()
            return await pending

    assert run(main()) == [2, 4]
    assert fn.threads[0] is not threading.main_thread()


def test_batches_never_pass_max_batch_and_a_large_request_is_one_call():
    fn = Recorder()

    async def main():
        async with MicroBatcher(fn, max_batch=4, max_wait_ms=1000) as batcher:
            small = [batcher.submit([i, i, i]) for i in range(5)]
            return await asyncio.gather(*small, batcher.submit(list(range(9))))

    results = run(main())
    assert results[:5] == [[2 * i] * 3 for i in range(5)]
    assert results[5] == [2 * i for i in range(9)]
    assert all(len(call) <= 4 for call in fn.calls if call != list(range(9)))
    assert list(range(9)) in fn.calls  # never split


def test_without_batching_every_request_is_its_own_call():
    fn = Recorder()

    async def main():
        async with MicroBatcher(fn, max_batch=1, max_wait_ms=0) as batcher:
            return await asyncio.gather(*(batcher.submit([i, i]) for i in range(6)))

    assert run(main()) == [[2 * i, 2 * i] for i in range(6)]
    assert fn.calls == [[i, i] for i in range(6)]


def test_a_full_queue_refuses_at_once_instead_of_growing():
    fn = Recorder(hold=True)

    async def main():
        async with MicroBatcher(fn, max_batch=2, max_wait_ms=0, max_queue=5) as batcher:
            waiting = [asyncio.ensure_future(batcher.submit([i])) for i in range(5)]
            await asyncio.sleep(0)
            assert batcher.pending == 5
            with pytest.raises(QueueFull, match="max_queue is 5"):
                await batcher.submit([99])
            fn.release.set()
            done = await asyncio.gather(*waiting)
            assert batcher.pending == 0
            return done, await batcher.submit([7])  # room again

    done, after = run(main())
    assert done == [[2 * i] for i in range(5)] and after == [14]


def test_an_error_in_the_model_reaches_every_request_of_its_batch_and_the_next_batch_works():
    calls = []

    def fn(items):
        calls.append(items)
        if len(calls) == 1:
            raise ValueError("boom")
        return items

    async def main():
        async with MicroBatcher(fn, max_batch=8, max_wait_ms=1000) as batcher:
            first = await asyncio.gather(*(batcher.submit([i]) for i in range(8)),
                                         return_exceptions=True)
            return first, await batcher.submit(["ok"])

    first, after = run(main())
    assert all(isinstance(r, ValueError) for r in first)
    assert after == ["ok"]


def test_stop_finishes_the_requests_already_submitted():
    fn = Recorder(hold=True)

    async def main():
        batcher = MicroBatcher(fn, max_batch=2, max_wait_ms=0)
        batcher.start()
        waiting = [asyncio.ensure_future(batcher.submit([i])) for i in range(5)]
        await asyncio.sleep(0)
        fn.release.set()
        await batcher.stop()
        return [w.result() for w in waiting]

    assert run(main()) == [[2 * i] for i in range(5)]


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        MicroBatcher(len, max_batch=0)
    with pytest.raises(ValueError):
        MicroBatcher(len, max_wait_ms=-1)
