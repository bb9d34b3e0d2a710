"""What every statement of the engine is made with, and the points where the databases differ.

The statements themselves run once per batch, on every worker, for every file of a repository, so
they go around the ORM's per-object work: a handful of statements per batch, whatever its size.
They are portable between SQLite (3.35 or newer, for RETURNING) and PostgreSQL; what is not is a
method of ``Hooks`` that ``sqlite.py`` and ``postgresql.py`` override. ``claims.py`` leases a
batch's items, ``writes.py`` writes the manifest, the log and a batch's results, and
``interface.py`` puts them together as the ``Backend`` each database subclasses. They run inside
the callers' transactions.
"""

import functools
import json
import os
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

from django.db import connection


@functools.cache
def q(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: Any) -> str:
    return q(model._meta.db_table)


def columns(*names: str) -> str:
    return ", ".join(q(name) for name in names)


def marks(count: int) -> str:
    return ", ".join(["%s"] * count)


def stamp(value: datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def pages_by_id(rows: Any, size: int) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``rows`` (a ``values_list`` queryset whose first field is ``id``), ``size`` at a
    time in the order of their ids. Each page is read whole before the caller writes: a cursor
    left open over a table the same connection updates is undefined on SQLite."""
    last = 0
    while page := list(rows.filter(id__gt=last).order_by("id")[:size]):
        yield page
        last = page[-1][0]


def json_value(value: Any) -> str:
    """A JSON column's value as the text both databases take: a bound parameter on SQLite (what
    ``JSONField`` stores), a field of the COPY into the stage on PostgreSQL (which parses it).
    Asking ``connection.ops`` for it, as the ORM does, looked the connection up for every value:
    0.6 s of the 2.0 s that made the rows of 100,000 files (profiled)."""
    return json.dumps(value)


class Hooks:
    """Where the databases differ: what ``sqlite.py`` and ``postgresql.py`` fill in or override,
    with the defaults both share. The statements (``Claims``, ``Writes``) are built on these."""

    # Appended to the SELECT of a claim: rows other claims hold are skipped, where supported.
    skip_locked = ""
    # Appended to a SELECT whose rows the transaction is about to write, where supported.
    lock_rows = ""
    # Appended to a SELECT whose row must not change before the transaction ends, where supported.
    share_row = ""

    def lock_queue(self) -> None:
        """Serialise queue decisions (overlap, promotion) until the transaction ends."""

    def commit_without_waiting(self) -> None:
        """Let this transaction's commit return before it reaches the disk, where supported.

        Only for the engine's own work (claims, the manifest, batch results), which is written
        again should a database crash lose the last fraction of a second: the transaction is lost
        whole (items stay pending) and never half, and any later ordinary commit makes the earlier
        ones durable too. Saves a disk flush per batch.
        """

    def plan_without_jit(self) -> None:
        """Let the rest of this transaction's statements run without JIT compilation, where the
        database compiles the plans it estimates to be costly."""

    def shared(self) -> bool:
        """Whether this process's committed writes are seen by the processes it starts (not a
        database in this process's memory) and its reads are theirs (no transaction is open)."""
        return not connection.in_atomic_block

    def reading(self) -> AbstractContextManager[None]:
        """Where a process that only reads (the link pass's helper, ``worker_process``) runs its
        statements. On SQLite, each in autocommit: a transaction would queue on the writer lock
        that the finishing process holds while it waits for the reader."""
        return nullcontext()

    def pages(self, sql: str, params: Sequence[Any], size: int) -> Iterator[list[tuple[Any, ...]]]:
        """The rows of a large read (a SELECT), ``size`` at a time: never held as one result.
        To be read to its end (on PostgreSQL, it holds a transaction until then)."""
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(size):
                yield rows

    def refresh_statistics(self) -> list[str]:
        """Refresh the planner's statistics of the engine's tables where they are stale; returns
        the tables analysed."""
        return []

    def new_uuids(self, count: int) -> list[Any]:
        """``count`` random (version 4) UUIDs, as this database stores them, from one read of
        the system's random source: ``uuid.uuid4`` reads it once a UUID, which took 3.2 us each
        (0.3 s of every 100,000 assets written); this takes 0.3 us."""
        raw = bytearray(os.urandom(16 * count))
        raw[6::16] = bytes(byte & 0x0F | 0x40 for byte in raw[6::16])  # version 4
        raw[8::16] = bytes(byte & 0x3F | 0x80 for byte in raw[8::16])  # the RFC 4122 variant
        text = raw.hex()
        return [text[start : start + 32] for start in range(0, 32 * count, 32)]

    def json_text(self, column: str, key: str) -> str:
        """SQL for the text of ``key`` in the JSON object ``column`` (NULL when absent)."""
        raise NotImplementedError

    def has_line(self, text: str, line: str) -> str:
        """SQL for whether ``line`` (without a line break) is one of the lines of ``text``
        (SQL expressions)."""
        raise NotImplementedError

    def json_with(self, column: str, key: str, value: str) -> str:
        """SQL for the JSON object ``column`` with ``key`` set to the text ``value`` (an SQL
        expression)."""
        raise NotImplementedError

    def insert_many(
        self, cursor: Any, model: Any, names: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """Insert rows with one prepared statement."""
        if not rows:
            return
        cursor.executemany(
            f"INSERT INTO {table(model)} ({columns(*names)}) VALUES ({marks(len(names))})", rows
        )

    def add_pending(self, cursor: Any, execution_id: int, pending: Sequence[str]) -> None:
        """Insert pending manifest items for ``pending`` relpaths."""
        raise NotImplementedError

    def stage(self, cursor: Any, name: str, shape: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Load ``rows`` into the temporary table ``name``, whose columns are those of the
        SELECT ``shape``, for one set-based statement to read (emptied first; it lives as long
        as the connection). Thousands of rows cost one statement this way, where a statement
        per row is sent and parsed anew each time."""
        cursor.execute(f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} AS {shape} LIMIT 0")
        cursor.execute(f"DELETE FROM {name}")
        if rows:
            cursor.executemany(f"INSERT INTO {name} VALUES ({marks(len(rows[0]))})", rows)

    def upsert_assets(
        self, cursor: Any, rows: list[tuple[Any, ...]]
    ) -> tuple[dict[str, int], list[int]]:
        """Insert or update assets by relpath; return their ids by relpath, and the ids of those
        that existed before (whose references are to be replaced)."""
        raise NotImplementedError
