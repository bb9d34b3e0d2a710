"""Django's SQLite backend, with writers queued on an OS lock instead of SQLite's busy timeout.

SQLite allows one writer at a time. A second ``BEGIN IMMEDIATE`` fails and its busy handler sleeps
in growing steps (1, 2, 5, 10 ... ms) before trying again, so two workers that each write a batch
every few milliseconds spend much of their time asleep while the lock is already free. Here every
write transaction first takes an exclusive ``flock`` on a file beside the database: a waiting
writer is woken the moment the previous one commits. Readers are untouched (WAL lets them run
beside the writer), and the kernel drops the lock of a process that dies.
"""

import fcntl
import os
from typing import Any

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_lock: int | None = None

    def _lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or not name:
            return None
        return f"{name}-writer.lock"

    def _start_transaction_under_autocommit(self) -> None:
        path = self._lock_path()
        if path is not None and self._writer_lock is None:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX)
            except BaseException:
                os.close(handle)
                raise
            self._writer_lock = handle
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_writer_lock()
            raise

    def _release_writer_lock(self) -> None:
        if self._writer_lock is not None:
            handle, self._writer_lock = self._writer_lock, None
            fcntl.flock(handle, fcntl.LOCK_UN)
            os.close(handle)

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_writer_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_writer_lock()
