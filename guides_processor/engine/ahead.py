"""An iterator run a few items ahead of the code that reads it: in a forked process of its own
(``ForkedAhead``) where the system can fork, else in a thread (``Ahead``); ``ahead`` picks.

The calculation walks the tree (mostly Python: an entry per file, each folder sorted) and writes
the manifest (mostly waiting on the database, which lets go of the GIL). One after the other, the
writes were about half of a calculation; with the walk in a thread they overlap it, as far as
Python's GIL lets two threads: over 100,000 files the walk's part alone took 0.19 s and the
writes alone 0.16 s on SQLite, and the calculation in a thread 0.29 to 0.37 s, close to their
sum. In a forked process, the walk holds no GIL the writes need: 0.25 to 0.28 s (eight runs of
each, alternating). On PostgreSQL, whose server takes most of the writes, 0.65 to 0.75 s either
way.
"""

import gc
import os
import pickle
import queue
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, suppress
from multiprocessing.connection import Connection, Pipe
from types import TracebackType
from typing import Any, Generic, TypeVar, overload

T = TypeVar("T")

# Whether the system can fork (else the thread takes the forked processes' place).
FORKS = hasattr(os, "fork")

# How long the thread waits for room before it looks whether the reader has left.
_PATIENCE_SECONDS = 0.1


class _Ended:
    """The iterator's end, or what it raised, as the thread hands it over."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


class Ahead(Generic[T]):
    """``with Ahead(items, depth) as read:`` iterates ``items`` in a thread, at most ``depth``
    items ahead of ``read``.

    What ``items`` raises is raised by ``read``. Leaving the block stops the thread (the items it
    had ready are dropped) and waits for it, so ``items`` must not block for long; it must touch
    nothing that belongs to the reader's thread, such as its database connection.
    """

    def __init__(self, items: Iterator[T], depth: int) -> None:
        self._items = items
        self._handed: queue.Queue[T | _Ended] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ahead", daemon=True)

    def __enter__(self) -> Iterator[T]:
        self._thread.start()
        return self._read()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            for item in self._items:
                if not self._hand(item):
                    return
        except BaseException as exc:  # the reader raises it
            self._hand(_Ended(exc))
        else:
            self._hand(_Ended())
        finally:
            # A generator left early runs its ``finally`` now, in this thread (the walk's open
            # folders are closed), not whenever it is collected.
            close = getattr(self._items, "close", None)
            if close is not None:
                close()

    def _hand(self, item: T | _Ended) -> bool:
        """Put ``item`` in the queue once there is room; False when the reader has left."""
        while not self._stop.is_set():
            try:
                self._handed.put(item, timeout=_PATIENCE_SECONDS)
            except queue.Full:
                continue
            return True
        return False

    def _read(self) -> Iterator[T]:
        while True:
            item = self._handed.get()
            if isinstance(item, _Ended):
                if item.error is not None:
                    raise item.error
                return
            yield item


# A pipe of 1 MiB holds about two chunks of the calculation's relpaths, so the walk goes on while
# the reader writes one; with the default 64 KiB the walk waited for each chunk to be read.
_PIPE_BYTES = 1 << 20


class ForkedAhead(Generic[T]):
    """``with ForkedAhead(items) as read:`` iterates ``items`` in a forked child process, which
    sends each item (pickled) through a pipe that holds a few of them.

    ``items`` must be made (not started) by the caller and must touch nothing the child must not
    use, such as a database connection: the child shares the parent's open connections, only
    iterates, and leaves by ``os._exit`` so that nothing of the parent's is closed or flushed.
    What ``items`` raises is raised by ``read`` (as a RuntimeError naming it, when it cannot be
    pickled). Leaving the block kills the child and reaps it. A child whose parent died stops at
    its next send (the pipe has no reader any more). Ctrl-C is the parent's: the child ignores
    it.
    """

    def __init__(self, items: Iterator[T], later: "Later[Any] | None" = None) -> None:
        self._items = items
        self._later = later
        self._pid = 0
        self._reader: Connection | None = None

    def __enter__(self) -> Iterator[T]:
        reader, writer = Pipe(duplex=False)
        try:
            import fcntl

            fcntl.fcntl(writer.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)  # Linux only
        except (ImportError, AttributeError, OSError):
            pass  # the default capacity: slower, not wrong
        if self._later is not None:
            self._later._before_fork()
        try:
            pid = os.fork()
        except BaseException:
            # No child: the value is this process's own again, and the pipe's ends are closed.
            if self._later is not None:
                self._later._after_fork()
            reader.close()
            writer.close()
            raise
        if pid == 0:  # pragma: no cover - the child's coverage is never saved (os._exit)
            try:
                reader.close()
                if self._later is not None:
                    self._later._in_child()
                self._send_all(writer)
            finally:
                os._exit(0)
        writer.close()
        if self._later is not None:
            self._later._after_fork()
        self._pid, self._reader = pid, reader
        return self._read(reader)

    def __exit__(self, *raised: object) -> None:
        with suppress(ProcessLookupError):
            os.kill(self._pid, signal.SIGKILL)
        os.waitpid(self._pid, 0)
        if self._reader is not None:
            self._reader.close()

    def _send_all(self, writer: Connection) -> None:  # pragma: no cover - runs in the child
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # What the parent had not yet collected stays: it is the parent's to collect (its
        # finalizers must not run here too).
        gc.freeze()
        try:
            for item in self._items:
                writer.send(item)
        except BrokenPipeError:
            return  # the parent is gone
        except BaseException as exc:
            try:
                writer.send(_Ended(exc))
            except (pickle.PicklingError, TypeError, AttributeError):
                writer.send(_Ended(RuntimeError(f"{type(exc).__name__}: {exc}")))
            return
        writer.send(_Ended())

    def _read(self, reader: Connection) -> Iterator[T]:
        while True:
            try:
                item = reader.recv()
            except EOFError:
                raise RuntimeError("the process reading ahead ended before its last item") from None
            except (pickle.UnpicklingError, TypeError, AttributeError) as exc:
                raise RuntimeError(
                    f"the process reading ahead sent what cannot be read: {exc}"
                ) from exc
            if isinstance(item, _Ended):
                if item.error is not None:
                    raise item.error
                return
            yield item


class Later(Generic[T]):
    """A value that the process forking ``ForkedParts``' children makes once they have started,
    and hands to each of them: they begin their work without it and wait for it only where they
    need it (``ready`` says whether it has come, ``get`` waits for it).

    In a process that forked no child with it (the walk of one part, a system that cannot fork),
    ``get`` makes the value there, once. An unchanged rerun's children stat their parts' files
    while the fingerprints they compare them with are read: the read had been a quarter of the
    rerun, spent before the fork with a core idle.
    """

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._value: T | None = None
        self._made = False
        self._reader: Connection | None = None  # a child's own end
        self._writers: list[Connection] = []  # the parent's ends, a child each

    def get(self) -> T:
        """The value: made here in the process that made this object, received in a child."""
        if not self._made:
            if self._reader is None:
                self._value = self._make()
            else:
                try:
                    self._value = pickle.loads(self._reader.recv_bytes())
                except EOFError:
                    raise RuntimeError("the forking process ended before it handed over") from None
            self._made = True
        return self._value  # type: ignore[return-value]

    def ready(self) -> bool:
        """Whether ``get`` would not wait (in a child: the value has begun to arrive)."""
        return self._made or self._reader is None or self._reader.poll()

    def _before_fork(self) -> None:
        self._reader, writer = Pipe(duplex=False)
        self._writers.append(writer)

    def _in_child(self) -> None:  # pragma: no cover - runs in the child
        # Only the parent writes: with a sibling's copy of its end open, a child whose parent
        # died would wait for ever.
        for writer in self._writers:
            writer.close()
        self._writers = []

    def _after_fork(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def _hand(self) -> None:
        """Make the value and send it to every child forked with it (one that has ended takes
        nothing: what it raised is raised by its reader)."""
        data = pickle.dumps(self.get(), protocol=pickle.HIGHEST_PROTOCOL)
        for writer in self._writers:
            with suppress(BrokenPipeError):
                writer.send_bytes(data)
            writer.close()
        self._writers = []


class PartEnd:
    """The end of one part, in what a child of ``ForkedParts`` hands over."""


def each_part(parts: Sequence[Iterator[T]]) -> Iterator[T | PartEnd]:
    """The items of ``parts`` one part after the other, each part followed by its ``PartEnd``:
    what a child of ``ForkedParts`` runs over its parts unless told otherwise."""
    for part in parts:
        yield from part
        yield PartEnd()


# What a child runs over its parts: their items, each part followed by its ``PartEnd``.
PartsRunner = Callable[[Sequence[Any]], Iterator[T | PartEnd]]


class ForkedParts(Generic[T]):
    """``with ForkedParts(parts, processes) as read:`` runs ``parts`` in ``processes`` forked
    children (``ForkedAhead``), the first part in the first child, the second in the second, and
    so on round; ``read`` yields the items of the first part, then those of the second, and so
    on. A ``later`` value the parts wait for is made once the children are forked, and handed to
    each of them.

    Each part is an iterator of items, made (not started) by the caller, as for ``ForkedAhead``;
    or anything ``run`` takes: a child runs ``run`` over all of its parts at once (so that it can
    work ahead from one part into the next while it waits for the ``later`` value), and it must
    end each part with a ``PartEnd``.

    A child runs ahead on its next part while the reader takes another child's: with parts of a
    similar size, the children work at once and the reader waits on none for long. A later child
    holds the reading ends of the earlier ones' pipes too: when the reader dies, the last child
    stops at its next send, and the earlier ones at theirs once it is gone.
    """

    @overload
    def __init__(
        self, parts: Sequence[Iterator[T]], processes: int, later: "Later[Any] | None" = None
    ) -> None: ...

    @overload
    def __init__(
        self,
        parts: Sequence[Any],
        processes: int,
        later: "Later[Any] | None" = None,
        *,
        run: PartsRunner[T] | None,
    ) -> None: ...

    def __init__(
        self,
        parts: Sequence[Any],
        processes: int,
        later: "Later[Any] | None" = None,
        *,
        run: PartsRunner[T] | None = None,
    ) -> None:
        self._parts = parts
        self._processes = max(1, min(processes, len(parts)))
        self._later = later
        self._run: PartsRunner[T] = run or each_part
        self._stack = ExitStack()

    def __enter__(self) -> Iterator[T]:
        with ExitStack() as stack:
            readers = [
                stack.enter_context(
                    ForkedAhead(self._run(self._parts[first :: self._processes]), self._later)
                )
                for first in range(self._processes)
            ]
            if self._later is not None:
                self._later._hand()  # the children are at work meanwhile
            self._stack = stack.pop_all()
        return self._read(readers)

    def __exit__(self, *raised: object) -> None:
        self._stack.close()

    def _read(self, readers: list[Iterator[T | PartEnd]]) -> Iterator[T]:
        for index in range(len(self._parts)):
            # Leaving the loop at a part's end leaves the child's reader open for its next part.
            for item in readers[index % self._processes]:
                if isinstance(item, PartEnd):
                    break
                yield item


def _without_ends(items: Iterator[T | PartEnd]) -> Iterator[T]:
    return (item for item in items if not isinstance(item, PartEnd))


@overload
def ahead_parts(
    parts: Sequence[Iterator[T]],
    depth: int,
    *,
    processes: int,
    later: "Later[Any] | None" = None,
) -> AbstractContextManager[Iterator[T]]: ...


@overload
def ahead_parts(
    parts: Sequence[Any],
    depth: int,
    *,
    processes: int,
    later: "Later[Any] | None" = None,
    run: PartsRunner[T] | None,
) -> AbstractContextManager[Iterator[T]]: ...


def ahead_parts(
    parts: Sequence[Any],
    depth: int,
    *,
    processes: int,
    later: "Later[Any] | None" = None,
    run: PartsRunner[T] | None = None,
) -> AbstractContextManager[Iterator[T]]:
    """The items of ``parts`` (run by ``run``, as ``ForkedParts`` says), one part after the
    other, read ahead in ``processes`` forked processes where the system can fork
    (``ForkedParts``), else in one thread ``depth`` items ahead (the ``later`` value the parts
    wait for is then made first, in this thread)."""
    runner: PartsRunner[T] = run or each_part
    if FORKS:
        return ForkedParts(parts, processes, later, run=runner)
    if later is not None:
        later.get()
    return Ahead(_without_ends(runner(parts)), depth)


def ahead(items: Iterator[T], depth: int) -> AbstractContextManager[Iterator[T]]:
    """``items`` read ahead in a forked process where the system can fork, else in a thread
    ``depth`` items ahead (see the module)."""
    if FORKS:
        return ForkedAhead(items)
    return Ahead(items, depth)
