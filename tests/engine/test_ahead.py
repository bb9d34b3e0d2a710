"""Ahead: an iterator read from a thread of its own, in order, stopped when its reader leaves."""

import threading
from collections.abc import Iterator

import pytest

from guides_processor.engine.ahead import Ahead


def test_the_items_come_in_order_and_end_with_the_iterator():
    with Ahead(iter(range(1000)), 2) as read:
        assert list(read) == list(range(1000))


def test_the_items_are_made_in_another_thread():
    made_in: set[str] = set()

    def items() -> Iterator[int]:
        for number in range(3):
            made_in.add(threading.current_thread().name)
            yield number

    with Ahead(items(), 1) as read:
        assert list(read) == [0, 1, 2]
    assert made_in == {"ahead"}


def test_what_the_iterator_raises_is_raised_to_the_reader_after_the_items_before():
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise OSError("the disk went away")

    read_before: list[int] = []
    with pytest.raises(OSError, match="the disk went away"), Ahead(items(), 2) as read:
        read_before.extend(read)
    assert read_before == [1, 2]


def test_leaving_the_block_stops_the_thread_at_most_depth_items_ahead():
    made = 0

    def endless() -> Iterator[int]:
        nonlocal made
        while True:
            made += 1
            yield made

    depth = 3
    with Ahead(endless(), depth) as read:
        first = [next(read) for _ in range(5)]
        thread = next(t for t in threading.enumerate() if t.name == "ahead")
    assert first == [1, 2, 3, 4, 5]
    assert not thread.is_alive()
    # Five read, ``depth`` waiting in the queue, and the one it held when told to stop.
    assert made <= 5 + depth + 1


def test_a_generator_left_early_is_closed_in_its_thread_when_the_reader_leaves():
    closed_in: list[str] = []

    def items() -> Iterator[int]:
        try:
            yield from range(1000)
        finally:
            closed_in.append(threading.current_thread().name)

    with Ahead(items(), 2) as read:
        assert next(read) == 0
    # Closed as the block was left, not whenever the generator is collected.
    assert closed_in == ["ahead"]
