"""The pipelined scoring loop: order kept, errors raised where consumed, threads stopped."""

import threading

import pytest

from imdb_sentiment.errors import UserError
from imdb_sentiment.scoring import prefetched


def test_prefetched_keeps_order_and_pairs_each_item_with_its_result():
    assert list(prefetched(range(50), lambda x: x * x, depth=2)) == [(x, x * x)
                                                                     for x in range(50)]
    assert list(prefetched([], str)) == []


def test_error_in_the_thread_is_raised_in_the_consumer_after_earlier_items():
    def items():
        yield 1
        yield 2
        raise UserError("line 3: broken row")

    seen = []
    with pytest.raises(UserError, match="line 3"):
        for item, _ in prefetched(items(), str):
            seen.append(item)
    assert seen == [1, 2]


def test_leaving_early_stops_the_thread():
    before = threading.active_count()
    for item, _ in prefetched(iter(range(10**6)), str, depth=1):
        if item == 3:
            break
    assert threading.active_count() == before
