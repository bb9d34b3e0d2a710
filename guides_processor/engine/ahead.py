"""An iterator run in a thread of its own, a few items ahead of the code that reads it.

The calculation walks the tree (mostly Python: an entry per file, each folder sorted) and writes
the manifest (mostly waiting on the database, which lets go of the GIL). One after the other, the
writes were about half of a calculation; with the walk in this thread they overlap it.
"""

import queue
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")

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
