"""Django's SQLite backend, with writers queued on an OS lock instead of SQLite's busy timeout.

SQLite allows one writer at a time. A second ``BEGIN IMMEDIATE`` fails and its busy handler sleeps
in growing steps (1, 2, 5, 10 ... ms) before trying again, so two workers that each write a batch
every few milliseconds spend much of their time asleep while the lock is already free. Here every
write transaction first takes an exclusive ``flock`` on a file beside the database: a waiting
writer is woken the moment the previous one commits. Readers are untouched (WAL lets them run
beside the writer), and the kernel drops the lock of a process that dies.

A commit that finds enough pages in the write-ahead log copies them into the database (SQLite's
automatic checkpoint, every 1,000 pages), and Django's commit returns only after it: under the
lock, so every other writer waited for it. Here a connection checkpoints after it has released
the lock (a passive checkpoint, which writers do not wait for), at most every
``_CHECKPOINT_SECONDS``. Two workers over 100,000 files, alternating runs: 17.9, 18.9 and 17.8 s
with the automatic checkpoint, 17.4, 16.8 and 16.7 s so.
"""

import contextlib
import fcntl
import os
import sqlite3
import time
from typing import Any

from django.db.backends.sqlite3 import base

# How often a connection that commits copies the write-ahead log into the database.
_CHECKPOINT_SECONDS = 0.5


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writer_lock: int | None = None
        self._checkpointed = 0.0

    def get_new_connection(self, conn_params: Any) -> Any:
        conn = super().get_new_connection(conn_params)
        conn.execute("PRAGMA wal_autocheckpoint=0")  # see the module: after the lock, not under it
        return conn

    def _lock_path(self) -> str | None:
        name = str(self.settings_dict["NAME"])
        if self.is_in_memory_db() or not name:
            return None
        return f"{name}-writer.lock"

    def _start_transaction_under_autocommit(self) -> None:
        path = self._lock_path()
        if path is not None and self._writer_lock is None:
            # Readable by its user only, as the database beside it (settings.DATA_DIR).
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
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
        self._checkpoint()

    def _checkpoint(self) -> None:
        """Copy the write-ahead log into the database, if this connection has not for a while.

        Passive: it copies what no reader still needs and never waits, so a busy log is left for
        a later commit; it fails only when the database does, which the next statement says.
        """
        now = time.monotonic()
        if self.connection is None or now - self._checkpointed < _CHECKPOINT_SECONDS:
            return
        self._checkpointed = now
        # The commit is done: a checkpoint that fails must not make it look failed.
        with contextlib.suppress(sqlite3.Error):
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

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
