"""The change trigger: with ``GUIDES_WATCH``, one process watches the catch-up paths and runs a
catch-up ``GUIDES_WATCH_DEBOUNCE_SECONDS`` after the last change of a burst.

Exactly one process of the installation watches: the holder of the ``watch`` row
(``AutomationState``), whose lease it renews every few seconds; when the holder dies its lease
runs out and another worker takes it over. The events come from the ``watchdog`` library
(inotify on Linux, polling where inotify cannot be had). They only say *that* something changed:
the catch-up's scan decides *what*, so a burst of any size, and events lost while nobody
watched, make one execution (and the scheduled catch-up covers the gaps).
"""

import logging
import os
import socket
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from .. import content
from ..models import AutomationState
from .catchup import catchup_paths, catchup_run
from .validation import content_root

logger = logging.getLogger(__name__)

WATCH = "watch"
# The holder renews its lease this often; it runs out after _LEASE_SECONDS without renewal.
_RENEW_SECONDS = 2.0
_LEASE_SECONDS = 10.0
# The events that mean a file's bytes or presence changed (opening or reading one does not).
_CHANGES = {
    EVENT_TYPE_CREATED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MOVED,
    EVENT_TYPE_CLOSED,
}


class _Burst(FileSystemEventHandler):
    """Remembers when the current burst of changes began and when its last change came."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.first: float | None = None
        self.last: float | None = None
        self.events = 0

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _CHANGES:
            return
        if event.is_directory and event.event_type == EVENT_TYPE_MODIFIED:
            return  # a folder's own times change with every file written in it
        paths = [event.src_path, getattr(event, "dest_path", "")]
        if all(_hidden(os.fsdecode(path)) for path in paths if path):
            return  # not part of the repository (.git, editors' swap files)
        now = time.monotonic()
        with self._lock:
            self.first = self.first if self.first is not None else now
            self.last = now
            self.events += 1

    def settled(self, *, quiet: float, longest: float) -> bool:
        """Whether a burst is pending and either quiet for ``quiet`` seconds or older than
        ``longest`` (changes that never stop still get processed); if so, it is taken."""
        now = time.monotonic()
        with self._lock:
            if self.first is None or self.last is None:
                return False
            if now - self.last < quiet and now - self.first < longest:
                return False
            self.first = self.last = None
            return True

    def again(self) -> None:
        """Keep the taken burst pending (its catch-up had to wait)."""
        now = time.monotonic()
        with self._lock:
            self.first = self.first if self.first is not None else now
            self.last = self.last if self.last is not None else now


def _hidden(path: str) -> bool:
    return any(part.startswith(".") for part in Path(path).parts[1:])


class Watcher:
    """This process's watch: the lease, the observer while it holds it, and the pending burst."""

    def __init__(self) -> None:
        self.holder = f"{socket.gethostname()[:100]}:{os.getpid()}:{id(self):x}"
        self.burst = _Burst()
        self.observer: BaseObserver | None = None
        self.watched: list[str] = []
        self._renewed = 0.0

    @property
    def watching(self) -> bool:
        return self.observer is not None

    def tick(self) -> None:
        """Renew or take the lease when due, start or stop watching accordingly, and run a
        catch-up for a settled burst. Called every fraction of a second by a worker's thread."""
        if time.monotonic() - self._renewed >= _RENEW_SECONDS:
            self._renewed = time.monotonic()
            if self._lease():
                if self.observer is None:
                    self._start()
            elif self.observer is not None:
                logger.info("watch: another process holds the lease; stopped watching")
                self.stop()
        if self.observer is None:
            return
        debounce = settings.GUIDES_WATCH_DEBOUNCE_SECONDS
        if self.burst.settled(quiet=debounce, longest=max(12.0 * debounce, 60.0)):
            outcome = catchup_run(trigger="watch")
            if outcome.result == "waiting":
                self.burst.again()

    def _lease(self) -> bool:
        now = timezone.now()
        AutomationState.objects.get_or_create(name=WATCH)
        return bool(
            AutomationState.objects.filter(name=WATCH)
            .filter(Q(holder=self.holder) | Q(due_at__isnull=True) | Q(due_at__lt=now))
            .update(holder=self.holder, due_at=now + timedelta(seconds=_LEASE_SECONDS))
        )

    def _start(self) -> None:
        root = content_root()
        folders = []
        for path in catchup_paths():
            try:
                folders.append(str(content.resolve_folder(root, path)))
            except content.ContentPathError as exc:
                logger.warning("watch: %s", exc.message)
        if not folders:
            return
        try:
            observer: BaseObserver = self._observe(Observer(), folders)
        except OSError:
            # inotify refused (no more instances or watches): look at the files periodically.
            logger.warning("watch: inotify is not available; polling instead", exc_info=True)
            observer = self._observe(PollingObserver(timeout=2), folders)
        self.observer, self.watched = observer, folders
        self._details(watching=True)
        logger.info("watch: watching %s (%s)", ", ".join(folders), type(observer).__name__)

    def _observe(self, observer: BaseObserver, folders: list[str]) -> BaseObserver:
        for folder in folders:
            observer.schedule(self.burst, folder, recursive=True)
        observer.start()
        return observer

    def stop(self) -> None:
        observer, self.observer = self.observer, None
        if observer is not None:
            observer.stop()
            observer.join(timeout=5)

    def release(self) -> None:
        """Stop watching and give the lease up at once (a process that stops)."""
        self.stop()
        AutomationState.objects.filter(name=WATCH, holder=self.holder).update(due_at=None)

    def _details(self, **values: Any) -> None:
        AutomationState.objects.filter(name=WATCH, holder=self.holder).update(
            details={**values, "paths": self.watched or catchup_paths()}
        )


def watch_state() -> dict[str, Any]:
    """Whether the watch is on, and who watches (the system status)."""
    state = AutomationState.objects.filter(name=WATCH).first()
    active = bool(state and state.due_at and state.due_at >= timezone.now())
    return {
        "enabled": settings.GUIDES_WATCH,
        "debounceSeconds": settings.GUIDES_WATCH_DEBOUNCE_SECONDS,
        "active": active,
        "holder": state.holder if state and active else None,
    }
