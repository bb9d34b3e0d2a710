"""The engine's SQL that both databases run alike, and the hooks where they differ.

These statements run once per batch, on every worker, for every file of a repository, so they go
around the ORM's per-object work: a handful of statements per batch, whatever its size. They are
portable between SQLite (3.35 or newer, for RETURNING) and PostgreSQL; what is not is a method of
``Backend`` that ``sqlite.py`` and ``postgresql.py`` override. They run inside the callers'
transactions.
"""

import functools
import json
import os
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from ... import processing
from ...models import (
    Asset,
    Execution,
    ExecutionItem,
    ExecutionSlot,
    ItemState,
    LogLine,
    Reference,
)
from ...text import one_line


@dataclass(slots=True)
class PreparedResult:
    """One processed item's rows, built before its batch's write transaction
    (``Backend.prepare_results``): the asset's row (None for a skip: the asset is left as it
    was) and its references' rows, without the asset's id, which the write knows."""

    item_id: int
    result: processing.AssetResult
    asset: tuple[Any, ...] | None
    references: list[tuple[Any, ...]]


_STATE_OF = {
    processing.SUCCESS: ItemState.DONE,
    processing.FAILURE: ItemState.FAILED,
    processing.SKIPPED: ItemState.SKIPPED,
}


# Cached: statements are made for every batch, and each look through Django's connection proxy
# costs (0.4 s of a 100,000-file run on PostgreSQL went to quoting the same names).
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


ASSET_COLUMNS = (
    "relpath", "uuid", "asset_type", "status", "title", "size", "mtime", "checksum", "error",
    "metadata", "processed_at", "success_size", "success_mtime", "success_checksum", "ids",
    "map_tree", "deleted_at", "key_texts",
)  # fmt: skip
# A file processed again is there: deleted_at is always written (NULL).
_ASSET_ALWAYS = ("asset_type", "status", "title", "size", "mtime", "checksum", "error", "metadata",
                 "processed_at", "ids", "map_tree", "deleted_at", "key_texts")  # fmt: skip
_ASSET_ON_SUCCESS = ("success_size", "success_mtime", "success_checksum")
_REFERENCE_COLUMNS = (
    "asset_id", "attribute", "value", "link_type", "scope",
    "element", "line", "target", "key", "broken", "reason", "topic_id", "element_id", "fallback",
    "warning", "note",
)  # fmt: skip


@functools.cache
def upsert_assets_sql(source: str) -> str:
    """The upsert of assets from ``source``: a VALUES row of parameters, or a SELECT."""
    asset = table(Asset)
    kept = [f"{q(name)} = excluded.{q(name)}" for name in _ASSET_ALWAYS]
    # A failure keeps the fingerprint of the last success, which filterProcessedAssets compares.
    kept += [
        f"{q(name)} = CASE WHEN excluded.{q('status')} = '{processing.SUCCESS}' "
        f"THEN excluded.{q(name)} ELSE {asset}.{q(name)} END"
        for name in _ASSET_ON_SUCCESS
    ]
    return (
        f"INSERT INTO {asset} ({columns(*ASSET_COLUMNS)}) {source} "
        f"ON CONFLICT ({q('relpath')}) DO UPDATE SET {', '.join(kept)}"
    )


class Backend:
    """The engine's statements. Subclasses fill in what their database does its own way."""

    # Appended to the SELECT of a claim: rows other claims hold are skipped, where supported.
    skip_locked = ""
    # Appended to a SELECT whose rows the transaction is about to write, where supported.
    lock_rows = ""
    # Appended to a SELECT whose row must not change before the transaction ends, where supported.
    share_row = ""

    # Where the databases differ ---------------------------------------------------------------

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

    # Claims -----------------------------------------------------------------------------------

    def execution_status_for_claim(self, *, execution_id: int) -> str:
        """The execution's status, read under a shared row lock where supported (SQLite's write
        lock already serialises the claim): a status change waits for the claim's commit, and a
        claim after it reads the new status."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {q('status')} FROM {table(Execution)} WHERE {q('id')} = %s"
                f"{self.share_row}",
                [execution_id],
            )
            return str(cursor.fetchone()[0])

    def claim_batch(
        self,
        *,
        execution_id: int,
        owner: str,
        now: datetime,
        expires: datetime,
        limit: int,
        after: int = 0,
    ) -> list[tuple[int, str]]:
        """Lease up to ``limit`` claimable items (pending, unleased or lease expired), in id order.

        ``after`` is the last id this worker claimed: the search starts past it, so that it does
        not wade through the index entries of every item finished before (on PostgreSQL each
        finished item leaves dead ones behind until vacuum). When nothing is claimable past it,
        the search starts again from the beginning, where expired leases of dead workers are.

        On PostgreSQL rows another transaction is claiming are skipped, not waited for; on SQLite
        the write lock taken at BEGIN IMMEDIATE serialises claims.
        """
        rows = self._claim(execution_id, owner, now, expires, limit, after)
        if not rows and after:
            rows = self._claim(execution_id, owner, now, expires, limit, 0)
        return rows

    def _claim(
        self,
        execution_id: int,
        owner: str,
        now: datetime,
        expires: datetime,
        limit: int,
        after: int,
    ) -> list[tuple[int, str]]:
        item = table(ExecutionItem)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {item} SET {q('lease_owner')} = %s, {q('lease_expires_at')} = %s "
                f"WHERE {q('id')} IN (SELECT {q('id')} FROM {item} "
                f"WHERE {q('execution_id')} = %s AND {q('state')} = %s AND {q('id')} > %s "
                f"AND ({q('lease_expires_at')} IS NULL OR {q('lease_expires_at')} < %s) "
                f"ORDER BY {q('id')} LIMIT %s{self.skip_locked}) "
                f"RETURNING {q('id')}, {q('relpath')}",
                [owner, stamp(expires), execution_id, ItemState.PENDING, after, stamp(now), limit],
            )
            return sorted(cursor.fetchall())

    def owned_items(self, *, ids: Iterable[int], owner: str) -> set[int]:
        """Of these items, the ones still pending under this owner's lease (locked on
        PostgreSQL)."""
        ids = list(ids)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {q('id')} FROM {table(ExecutionItem)} "
                f"WHERE {q('id')} IN ({marks(len(ids))}) "
                f"AND {q('lease_owner')} = %s AND {q('state')} = %s{self.lock_rows}",
                [*ids, owner, ItemState.PENDING],
            )
            return {row[0] for row in cursor.fetchall()}

    def release(self, *, ids: Iterable[int], owner: str) -> None:
        """Give back leased items that were not processed (a cancel arrived)."""
        ids = list(ids)
        if not ids:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table(ExecutionItem)} "
                f"SET {q('lease_owner')} = '', {q('lease_expires_at')} = NULL "
                f"WHERE {q('id')} IN ({marks(len(ids))}) "
                f"AND {q('lease_owner')} = %s AND {q('state')} = %s",
                [*ids, owner, ItemState.PENDING],
            )

    def beat_slot(self, *, execution_id: int, slot: int, generation: int, now: datetime) -> bool:
        """Record that this slot's task is alive; False when the slot has a newer generation."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table(ExecutionSlot)} SET {q('heartbeat_at')} = %s "
                f"WHERE {q('execution_id')} = %s AND {q('number')} = %s "
                f"AND {q('generation')} = %s",
                [stamp(now), execution_id, slot, generation],
            )
            updated: int = cursor.rowcount
            return updated == 1

    # Writes -----------------------------------------------------------------------------------

    def add_items(
        self,
        *,
        execution_id: int,
        pending: Sequence[str],
        skipped: Sequence[tuple[str, str]],
        now: datetime,
    ) -> None:
        """Add files to an execution's manifest: ``pending`` relpaths, and ``skipped`` ones
        (relpath, reason) that the walk could not hand to processing."""
        item = table(ExecutionItem)
        names = columns(*ITEM_COLUMNS)
        with connection.cursor() as cursor:
            if pending:
                self.add_pending(cursor, execution_id, pending)
            if skipped:
                when = stamp(now)
                cursor.executemany(
                    f"INSERT INTO {item} ({names}, {q('finished_at')}) "
                    "VALUES (%s, %s, %s, '', %s, '', %s)",
                    [
                        (execution_id, relpath, ItemState.SKIPPED, reason, when)
                        for relpath, reason in skipped
                    ],
                )

    def append_log(
        self,
        *,
        execution_id: int,
        lines: Sequence[tuple[str, str]],
        now: datetime,
        counters: dict[str, int] | None = None,
    ) -> None:
        """Append log lines and add to counters of an execution, in the caller's transaction.

        Line numbers come from ``log_line_count``, incremented by the same UPDATE that reads it
        back, so they are dense and never reused while several workers write. Every message is
        stored through ``text.one_line``: one stored line is one displayed line.
        """
        increments = {name: value for name, value in (counters or {}).items() if value}
        # Always one assignment at least (adding 0 lines), so the statement is valid and returns
        # the line count.
        increments["log_line_count"] = len(lines)
        assignments = [f"{q(name)} = {q(name)} + %s" for name in increments]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table(Execution)} SET {', '.join(assignments)} WHERE {q('id')} = %s "
                f"RETURNING {q('log_line_count')}",
                [*increments.values(), execution_id],
            )
            (end,) = cursor.fetchone()
            if not lines:
                return
            start = end - len(lines)
            when = stamp(now)
            self.insert_many(
                cursor,
                LogLine,
                ("execution_id", "line", "time", "level", "message"),
                [
                    (execution_id, start + offset, when, level, one_line(message))
                    for offset, (level, message) in enumerate(lines)
                ],
            )

    def prepare_results(
        self, results: Sequence[tuple[int, processing.AssetResult]], now: datetime
    ) -> list[PreparedResult]:
        """The rows of a batch's results (item ids paired with what processing them produced),
        built outside its write transaction: a transaction on SQLite holds the one write lock
        from its start, and the rows of 100,000 files took 2 s to build, while the other
        workers waited."""
        when = stamp(now)
        keys = iter(self.new_uuids(sum(r.status != processing.SKIPPED for _, r in results)))
        prepared = []
        for item_id, result in results:
            if result.status == processing.SKIPPED:
                prepared.append(PreparedResult(item_id, result, None, []))
                continue
            asset = self._asset_row(result, next(keys), when)
            prepared.append(PreparedResult(item_id, result, asset, _reference_rows(result)))
        return prepared

    def write_results(self, *, results: Sequence[PreparedResult], now: datetime) -> None:
        """Write assets, their references, and the items' final states.

        The caller has checked that it still holds the items' leases. A failure replaces the
        asset's references (it has none now); an unchanged skip leaves the asset as it was.
        """
        when = stamp(now)
        rewritten = [prepared for prepared in results if prepared.asset is not None]
        with connection.cursor() as cursor:
            repeated = self._failed_before(
                cursor,
                [p.result.relpath for p in rewritten if p.result.status == processing.FAILURE],
            )
            if rewritten:
                asset_ids, existing = self.upsert_assets(
                    cursor, [p.asset for p in rewritten if p.asset is not None]
                )
                if existing:
                    cursor.execute(
                        f"DELETE FROM {table(Reference)} "
                        f"WHERE {q('asset_id')} IN ({marks(len(existing))})",
                        existing,
                    )
                rows = [
                    (asset_ids[prepared.result.relpath], *row)
                    for prepared in rewritten
                    for row in prepared.references
                ]
                self.insert_many(cursor, Reference, _REFERENCE_COLUMNS, rows)

            # One UPDATE per distinct outcome: most of a batch shares state, type and (empty)
            # error.
            groups: dict[tuple[str, str, str, bool | None], list[int]] = defaultdict(list)
            for prepared in results:
                result = prepared.result
                again = True if result.relpath in repeated else None
                outcome = (_STATE_OF[result.status], result.asset_type, result.error, again)
                groups[outcome].append(prepared.item_id)
            item = table(ExecutionItem)
            for (state, asset_type, error, again), ids in groups.items():
                cursor.execute(
                    f"UPDATE {item} SET {q('state')} = %s, {q('asset_type')} = %s, "
                    f"{q('error')} = %s, {q('finished_at')} = %s, {q('repeated_failure')} = %s, "
                    f"{q('lease_owner')} = '', {q('lease_expires_at')} = NULL, "
                    f"{q('asset_id')} = (SELECT a.{q('id')} FROM {table(Asset)} a "
                    f"WHERE a.{q('relpath')} = {item}.{q('relpath')}) "
                    f"WHERE {q('id')} IN ({marks(len(ids))})",
                    [state, asset_type, error, when, again, *ids],
                )

    def _failed_before(self, cursor: Any, relpaths: Sequence[str]) -> set[str]:
        """Of the relpaths about to be written failed, those whose asset is failed and live now
        (``ExecutionItem.repeated_failure``). Asked for the failures only: a batch has few."""
        if not relpaths:
            return set()
        cursor.execute(
            f"SELECT {q('relpath')} FROM {table(Asset)} WHERE {q('relpath')} "
            f"IN ({marks(len(relpaths))}) AND {q('status')} = %s AND {q('deleted_at')} IS NULL",
            [*relpaths, processing.FAILURE],
        )
        return {relpath for (relpath,) in cursor.fetchall()}

    def _asset_row(self, result: processing.AssetResult, key: Any, when: Any) -> tuple[Any, ...]:
        success = result.status == processing.SUCCESS
        return (
            result.relpath,
            key,
            result.asset_type,
            result.status,
            result.title,
            result.size,
            result.mtime,
            result.checksum,
            result.error,
            json_value(result.metadata),
            when,
            result.size if success else None,
            result.mtime if success else None,
            result.checksum if success else "",
            "\n".join(result.ids) if success else "",
            json_value(result.map_tree if success else {}),
            None,
            # SQL NULL, not a JSON null, for the assets without templates.
            json_value(result.key_texts) if success and result.key_texts else None,
        )


def _reference_rows(result: processing.AssetResult) -> list[tuple[Any, ...]]:
    """The rows of a successful result's references, without their asset's id (none for
    another outcome)."""
    if result.status != processing.SUCCESS:
        return []
    return [
        (ref.attribute, ref.value, ref.link_type, ref.scope, ref.element[:64], ref.line,
         ref.target or "", (ref.key or "")[:255], ref.broken, ref.reason, ref.topic_id or "",
         ref.element_id or "", ref.fallback, "", "")
        for ref in result.references
    ]  # fmt: skip


# The columns of a manifest item as the calculation inserts it.
ITEM_COLUMNS = ("execution_id", "relpath", "state", "lease_owner", "error", "asset_type")
