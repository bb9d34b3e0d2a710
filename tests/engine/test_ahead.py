"""Ahead, ForkedAhead and ForkedParts: an iterator read from a thread or a forked process of its
own (parts of one from several), in order, stopped when its reader leaves."""

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from guides_processor.engine import ahead as ahead_module
from guides_processor.engine.ahead import (
    Ahead,
    ForkedAhead,
    ForkedParts,
    Later,
    ahead,
    ahead_parts,
)


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


# ForkedAhead: the same reading, from a forked child process.

forking = pytest.mark.skipif(not hasattr(os, "fork"), reason="a system that can fork")


@forking
def test_forked_items_come_in_order_from_another_process_and_end_with_the_iterator():
    def items() -> Iterator[tuple[int, int]]:
        for number in range(1000):
            yield os.getpid(), number

    with ForkedAhead(items()) as read:
        got = list(read)
    assert [number for _, number in got] == list(range(1000))
    assert {pid for pid, _ in got} - {os.getpid()} == {got[0][0]}


@forking
def test_large_items_pass_whole_in_order():
    """Items larger than the pipe holds (a chunk of relpaths is a few hundred kilobytes)."""
    chunks = [[f"folder/{index}/{name:06d}.dita" for name in range(30_000)] for index in range(4)]
    with ForkedAhead(iter(chunks)) as read:
        assert list(read) == chunks


@forking
def test_what_the_forked_iterator_raises_is_raised_to_the_reader_after_the_items_before():
    def items() -> Iterator[int]:
        yield 1
        yield 2
        raise OSError("the disk went away")

    read_before: list[int] = []
    with pytest.raises(OSError, match="the disk went away"), ForkedAhead(items()) as read:
        read_before.extend(read)
    assert read_before == [1, 2]


class _Unpicklable(Exception):
    def __init__(self, reason: str, *, where: str) -> None:
        super().__init__(f"{reason} at {where}")
        self.lock = threading.Lock()  # cannot be pickled


@forking
def test_an_error_that_cannot_be_pickled_comes_back_as_a_runtime_error_naming_it():
    def items() -> Iterator[int]:
        yield 1
        raise _Unpicklable("broken", where="here")

    with (
        pytest.raises(RuntimeError, match="_Unpicklable: broken at here"),
        ForkedAhead(items()) as read,
    ):
        list(read)


@forking
def test_leaving_the_block_ends_the_child_and_reaps_it():
    def endless() -> Iterator[int]:
        while True:
            yield os.getpid()

    with ForkedAhead(endless()) as read:
        child = next(read)
        assert child != os.getpid()
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)  # gone, not a zombie left to this process


@forking
def test_ctrl_c_is_the_readers_the_child_ignores_it():
    def items() -> Iterator[int]:
        yield os.getpid()
        time.sleep(0.3)  # time for the signal to arrive
        yield -1

    with ForkedAhead(items()) as read:
        child = next(read)
        os.kill(child, signal.SIGINT)
        assert next(read) == -1
        assert list(read) == []


@forking
def test_a_child_killed_before_its_last_item_is_an_error_for_the_reader():
    def items() -> Iterator[int]:
        yield os.getpid()
        time.sleep(30)
        yield -1

    with ForkedAhead(items()) as read:
        child = next(read)
        os.kill(child, signal.SIGKILL)
        with pytest.raises(RuntimeError, match="ended before its last item"):
            next(read)


@forking
def test_ahead_forks_where_the_system_can():
    assert isinstance(ahead(iter([1]), 2), ForkedAhead)


def _part(number: int, size: int) -> Iterator[tuple[int, int, int]]:
    for index in range(size):
        yield number, index, os.getpid()


@forking
def test_parts_come_in_order_from_children_taking_them_in_turn():
    """Seven parts of different sizes (an empty one too) in two children: parts 0, 2, 4, 6 in
    one, 1, 3, 5 in the other."""
    sizes = [3, 0, 5, 1, 4, 2, 6]
    with ForkedParts([_part(number, size) for number, size in enumerate(sizes)], 2) as read:
        got = list(read)
    assert [(number, index) for number, index, _ in got] == [
        (number, index) for number, size in enumerate(sizes) for index in range(size)
    ]
    pids = {number: pid for number, _, pid in got}
    assert os.getpid() not in pids.values()
    assert pids[0] == pids[2] == pids[4] == pids[6] != pids[3] == pids[5]


@forking
def test_more_processes_than_parts_start_one_child_a_part():
    with ForkedParts([_part(0, 2), _part(1, 2)], 5) as read:
        got = list(read)
    assert [(number, index) for number, index, _ in got] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert len({pid for _, _, pid in got}) == 2


@forking
def test_a_part_that_raises_is_raised_to_the_reader_after_the_parts_before_it():
    """The child of the failing part stops there; the other child's later part is not read."""

    def failing() -> Iterator[tuple[int, int, int]]:
        yield 1, 0, os.getpid()
        raise OSError("the disk went away")

    read_before: list[tuple[int, int]] = []
    parts = [_part(0, 3), failing(), _part(2, 3), _part(3, 3)]
    with pytest.raises(OSError, match="the disk went away"), ForkedParts(parts, 2) as read:
        read_before.extend((number, index) for number, index, _ in read)
    assert read_before == [(0, 0), (0, 1), (0, 2), (1, 0)]


@forking
def test_leaving_the_block_early_ends_every_child_and_reaps_it():
    def endless() -> Iterator[tuple[int, int, int]]:
        while True:
            yield 0, 0, os.getpid()

    with ForkedParts([_part(0, 1), endless(), endless()], 2) as read:
        first, second = next(read), next(read)
    children = {first[2], second[2]}
    assert len(children) == 2
    for child in children:
        with pytest.raises(ProcessLookupError):
            os.kill(child, 0)


def test_parts_without_a_fork_are_read_in_order_in_a_thread(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(ahead_module, "FORKS", False)
    chosen = ahead_parts([_part(0, 2), _part(1, 1)], 2, processes=2)
    assert isinstance(chosen, Ahead)
    with chosen as read:
        got = list(read)
    assert [(number, index) for number, index, _ in got] == [(0, 0), (0, 1), (1, 0)]
    assert {pid for _, _, pid in got} == {os.getpid()}


# Later: a value the parent makes once its children are at work, handed to each.


def _waiting_part(
    later: Later[dict[str, int]], started: Path, number: int
) -> Iterator[tuple[int, int, int]]:
    (started / f"{number}-{os.getpid()}").touch()  # at work before the value is made
    yield number, later.get()["value"], os.getpid()


@forking
def test_a_later_value_is_made_once_the_children_are_at_work_and_each_receives_it(
    tmp_path: Path,
):
    made: list[int] = []

    def make() -> dict[str, int]:
        # Both children have begun their first part before the value exists.
        deadline = time.monotonic() + 10
        while len(list(tmp_path.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        made.append(len(list(tmp_path.iterdir())))
        return {"value": 42}

    later = Later(make)
    parts = [_waiting_part(later, tmp_path, number) for number in range(4)]
    with ForkedParts(parts, 2, later) as read:
        got = list(read)
    assert made == [2]  # made once, in this process, with the two children at work
    assert [(number, value) for number, value, _ in got] == [(0, 42), (1, 42), (2, 42), (3, 42)]
    assert len({pid for _, _, pid in got} - {os.getpid()}) == 2


@forking
def test_a_child_that_failed_before_the_value_came_is_raised_to_the_reader():
    def failing() -> Iterator[tuple[int, int, int]]:
        raise OSError("the disk went away")
        yield 0, 0, 0  # pragma: no cover - a generator that raises at once

    # Larger than a pipe holds: the send to the ended child finds no reader.
    later = Later(lambda: {"value": 1, "padding": "x" * (1 << 20)})
    with (
        pytest.raises(OSError, match="the disk went away"),
        ForkedParts([failing(), _part(1, 1)], 2, later) as read,
    ):
        list(read)


@forking
def test_what_making_the_later_value_raises_is_raised_and_the_children_are_ended(
    tmp_path: Path,
):
    def make() -> dict[str, int]:
        deadline = time.monotonic() + 10
        while len(list(tmp_path.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        raise RuntimeError("the database went away")

    later: Later[dict[str, int]] = Later(make)
    parts = [_waiting_part(later, tmp_path, number) for number in range(2)]
    entered = False
    with pytest.raises(RuntimeError, match="the database went away"), ForkedParts(parts, 2, later):
        entered = True
    assert not entered
    children = [int(started.name.split("-")[1]) for started in tmp_path.iterdir()]
    assert len(children) == 2
    for child in children:  # killed and reaped, not left waiting for the value
        with pytest.raises(ProcessLookupError):
            os.kill(child, 0)


def test_a_later_value_without_a_fork_is_made_where_it_is_asked_for_once():
    made: list[int] = []

    def make() -> int:
        made.append(1)
        return len(made)

    later = Later(make)
    assert later.ready()
    assert (later.get(), later.get()) == (1, 1)
    assert made == [1]
