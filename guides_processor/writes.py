"""The hot path of the engine in plain SQL: claiming a batch and writing what it produced.

These run once per batch, on every worker, for every file of a repository, so they go around the
ORM's per-object work: a handful of statements per batch, whatever its size. The statements are
portable between SQLite (3.35 or newer, for RETURNING) and PostgreSQL. Only ``services`` calls them,
inside its transactions.
"""

import json
import re
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection

from . import processing
from .models import (
    Asset,
    Execution,
    ExecutionItem,
    ExecutionSlot,
    ItemState,
    KeyDefinition,
    LogLine,
    Reference,
)

_STATE_OF = {
    processing.SUCCESS: ItemState.DONE,
    processing.FAILURE: ItemState.FAILED,
    processing.SKIPPED: ItemState.SKIPPED,
}


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


def _lock_rows() -> str:
    return " FOR UPDATE" if connection.features.has_select_for_update else ""


def commit_without_waiting() -> None:
    """Let this transaction's commit return before its WAL reaches the disk (PostgreSQL).

    Only for the engine's own work (claims, the manifest, batch results), which is written
    again should a database crash lose the last fraction of a second: the transaction is lost
    whole (items stay pending) and never half, and any later ordinary commit makes the earlier
    ones durable too. Saves a disk flush per batch.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _insert_many(
    cursor: Any, model: Any, names: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """Insert rows: COPY on PostgreSQL (nothing parsed per row), a prepared statement on SQLite."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {table(model)} ({columns(*names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor.executemany(
            f"INSERT INTO {table(model)} ({columns(*names)}) VALUES ({marks(len(names))})", rows
        )


# Tables that grow with every batch, and how much they may change before their planner
# statistics are refreshed (see refresh_statistics).
_ANALYZED = ("executionitem", "asset", "reference", "keydefinition", "logline")
_ANALYZE_AFTER_ROWS = 2000


_last_refresh = 0.0


def refresh_statistics(*, every: float = 0.0) -> list[str]:
    """On PostgreSQL, ANALYZE the engine's tables whose statistics are missing or stale.

    The batch statements look rows up by their indexes, which the planner uses only once it
    knows how many distinct values a column holds; a first run over a large repository fills
    tables faster than autovacuum (if it runs at all) analyses them, and without statistics a
    ``DELETE ... WHERE asset_id IN (...)`` scans the whole table. Returns the tables analysed.
    """
    global _last_refresh
    if connection.vendor != "postgresql" or time.monotonic() - _last_refresh < every:
        return []
    _last_refresh = time.monotonic()
    names = [f"guides_processor_{name}" for name in _ANALYZED]
    analysed = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_live_tup, n_mod_since_analyze, "
            "last_analyze IS NULL AND last_autoanalyze IS NULL "
            "FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [names],
        )
        for name, live, modified, never in cursor.fetchall():
            # Analysed when it has about doubled since: a handful of times over a large run.
            if modified > max(_ANALYZE_AFTER_ROWS, live // 2) or (never and modified):
                cursor.execute(f"ANALYZE {q(name)}")
                analysed.append(name)
    return analysed


def execution_status_for_claim(*, execution_id: int) -> str:
    """The execution's status, read under a shared row lock on PostgreSQL (SQLite's write lock
    already serialises the claim): a status change waits for the claim's commit, and a claim
    after it reads the new status."""
    lock = " FOR SHARE" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {q('status')} FROM {table(Execution)} WHERE {q('id')} = %s{lock}",
            [execution_id],
        )
        return str(cursor.fetchone()[0])


def claim_batch(
    *, execution_id: int, owner: str, now: datetime, expires: datetime, limit: int, after: int = 0
) -> list[tuple[int, str]]:
    """Lease up to ``limit`` claimable items (pending, unleased or lease expired), in id order.

    ``after`` is the last id this worker claimed: the search starts past it, so that it does not
    wade through the index entries of every item finished before (on PostgreSQL each finished
    item leaves dead ones behind until vacuum). When nothing is claimable past it, the search
    starts again from the beginning, where expired leases of dead workers are.

    On PostgreSQL rows another transaction is claiming are skipped, not waited for; on SQLite the
    write lock taken at BEGIN IMMEDIATE serialises claims.
    """
    rows = _claim(execution_id, owner, now, expires, limit, after)
    if not rows and after:
        rows = _claim(execution_id, owner, now, expires, limit, 0)
    return rows


def _claim(
    execution_id: int, owner: str, now: datetime, expires: datetime, limit: int, after: int
) -> list[tuple[int, str]]:
    item = table(ExecutionItem)
    skip = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {item} SET {q('lease_owner')} = %s, {q('lease_expires_at')} = %s "
            f"WHERE {q('id')} IN (SELECT {q('id')} FROM {item} "
            f"WHERE {q('execution_id')} = %s AND {q('state')} = %s AND {q('id')} > %s "
            f"AND ({q('lease_expires_at')} IS NULL OR {q('lease_expires_at')} < %s) "
            f"ORDER BY {q('id')} LIMIT %s{skip}) "
            f"RETURNING {q('id')}, {q('relpath')}",
            [owner, stamp(expires), execution_id, ItemState.PENDING, after, stamp(now), limit],
        )
        return sorted(cursor.fetchall())


def add_items(
    *,
    execution_id: int,
    pending: Sequence[str],
    skipped: Sequence[tuple[str, str]],
    now: datetime,
) -> None:
    """Add files to an execution's manifest: ``pending`` relpaths, and ``skipped`` ones (relpath,
    reason) that the walk could not hand to processing.

    On SQLite the pending ones go in as one statement whatever their number: the relpaths
    travel as one JSON array that ``json_each`` unpacks, which costs a fraction of binding a row
    of parameters per file. On PostgreSQL they are copied in.
    """
    item = table(ExecutionItem)
    fields = ("execution_id", "relpath", "state", "lease_owner", "error", "asset_type")
    names = columns(*fields)
    with connection.cursor() as cursor:
        if pending and connection.vendor == "postgresql":
            rows = [(execution_id, relpath, ItemState.PENDING, "", "", "") for relpath in pending]
            _insert_many(cursor, ExecutionItem, fields, rows)
        elif pending:
            cursor.execute(
                f"INSERT INTO {item} ({names}) SELECT %s, value, %s, '', '', '' FROM json_each(%s)",
                [execution_id, ItemState.PENDING, json.dumps(pending)],
            )
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


def beat_slot(*, execution_id: int, slot: int, generation: int, now: datetime) -> bool:
    """Record that this slot's task is alive; False when the slot has a newer generation."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table(ExecutionSlot)} SET {q('heartbeat_at')} = %s "
            f"WHERE {q('execution_id')} = %s AND {q('number')} = %s AND {q('generation')} = %s",
            [stamp(now), execution_id, slot, generation],
        )
        return cursor.rowcount == 1


# Characters that would break a log line in two, or hide part of it, wherever it is shown: C0 and
# C1 controls (newline, carriage return, tab, escape...), DEL, and the Unicode line and paragraph
# separators. A file name may hold any of them.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_control(match: re.Match[str]) -> str:
    char = match.group()
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_log_message(message: str) -> str:
    """``message`` as one line: control characters written as backslash escapes (``\\n``,
    ``\\x1b``, ``\\u2028``), so that no text in it (a file name, a parser's message) can end
    a line or start a forged one."""
    return _CONTROL.sub(_escape_control, message)


def append_log(
    *,
    execution_id: int,
    lines: Sequence[tuple[str, str]],
    now: datetime,
    counters: dict[str, int] | None = None,
) -> None:
    """Append log lines and add to counters of an execution, in the caller's transaction.

    Line numbers come from ``log_line_count``, incremented by the same UPDATE that reads it back,
    so they are dense and never reused while several workers write. Every message is stored
    through ``escape_log_message``: one stored line is one displayed line.
    """
    increments = {name: value for name, value in (counters or {}).items() if value}
    if lines:
        increments["log_line_count"] = len(lines)
    assignments = [f"{q(name)} = {q(name)} + %s" for name in increments]
    assignments.append(f"{q('heartbeat_at')} = %s")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table(Execution)} SET {', '.join(assignments)} WHERE {q('id')} = %s "
            f"RETURNING {q('log_line_count')}",
            [*increments.values(), stamp(now), execution_id],
        )
        (end,) = cursor.fetchone()
        if not lines:
            return
        start = end - len(lines)
        when = stamp(now)
        _insert_many(
            cursor,
            LogLine,
            ("execution_id", "line", "time", "level", "message"),
            [
                (execution_id, start + offset, when, level, escape_log_message(message))
                for offset, (level, message) in enumerate(lines)
            ],
        )


_ASSET_COLUMNS = (
    "relpath", "uuid", "asset_type", "status", "title", "size", "mtime", "checksum", "error",
    "metadata", "processed_at", "success_size", "success_mtime", "success_checksum",
)  # fmt: skip
_ASSET_ALWAYS = ("asset_type", "status", "title", "size", "mtime", "checksum", "error", "metadata",
                 "processed_at")  # fmt: skip
_ASSET_ON_SUCCESS = ("success_size", "success_mtime", "success_checksum")
_REFERENCE_COLUMNS = (
    "asset_id", "attribute", "value", "link_type", "scope",
    "element", "line", "target", "key", "broken",
)  # fmt: skip


_ASSET_VALUES = f"VALUES ({', '.join(['%s'] * len(_ASSET_COLUMNS))})"


def _upsert_assets_sql(source: str) -> str:
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
        f"INSERT INTO {asset} ({columns(*_ASSET_COLUMNS)}) {source} "
        f"ON CONFLICT ({q('relpath')}) DO UPDATE SET {', '.join(kept)}"
    )


_STAGE = "guides_asset_stage"


def _upsert_assets(cursor: Any, rows: list[tuple[Any, ...]]) -> tuple[dict[str, int], list[int]]:
    """Insert or update assets by relpath; return their ids by relpath, and the ids of those
    that existed before (whose references and key definitions are to be replaced).

    SQLite: one prepared statement for every row. PostgreSQL: the rows are copied into a
    temporary table, emptied at commit, and upserted from it in one statement (a statement
    carrying the rows as parameters would be parsed anew each time, which costs more than the
    upsert itself).
    """
    relpaths = [row[0] for row in rows]
    asset = table(Asset)
    if connection.vendor != "postgresql":
        cursor.executemany(_upsert_assets_sql(_ASSET_VALUES), rows)
        cursor.execute(
            f"SELECT {q('relpath')}, {q('id')} FROM {asset} "
            f"WHERE {q('relpath')} IN ({marks(len(relpaths))})",
            relpaths,
        )
        ids = dict(cursor.fetchall())
        return ids, list(ids.values())  # deleting nothing costs next to nothing here
    names = columns(*_ASSET_COLUMNS)
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} ON COMMIT DELETE ROWS "
        f"AS SELECT {names} FROM {table(Asset)} WITH NO DATA"
    )
    cursor.execute(f"DELETE FROM {_STAGE}")  # empty already, unless a caller's transaction is open
    with cursor.cursor.copy(f"COPY {_STAGE} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(
        f"SELECT a.{q('id')} FROM {asset} a JOIN {_STAGE} s ON a.{q('relpath')} = s.{q('relpath')}"
    )
    existing = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        _upsert_assets_sql(f"SELECT {names} FROM {_STAGE}")
        + f" RETURNING {q('relpath')}, {q('id')}"
    )
    return dict(cursor.fetchall()), existing


def _asset_row(result: processing.AssetResult, when: Any) -> tuple[Any, ...]:
    success = result.status == processing.SUCCESS
    return (
        result.relpath,
        _uuid(uuid.uuid4()),
        result.asset_type,
        result.status,
        result.title,
        result.size,
        result.mtime,
        result.checksum,
        result.error,
        _json(result.metadata),
        when,
        result.size if success else None,
        result.mtime if success else None,
        result.checksum if success else "",
    )


def _uuid(value: uuid.UUID) -> Any:
    return value if connection.features.has_native_uuid_field else value.hex


def _json(value: Any) -> Any:
    return connection.ops.adapt_json_value(value, None)


def owned_items(*, ids: Iterable[int], owner: str) -> set[int]:
    """Of these items, the ones still pending under this owner's lease (locked on PostgreSQL)."""
    ids = list(ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {q('id')} FROM {table(ExecutionItem)} WHERE {q('id')} IN ({marks(len(ids))}) "
            f"AND {q('lease_owner')} = %s AND {q('state')} = %s{_lock_rows()}",
            [*ids, owner, ItemState.PENDING],
        )
        return {row[0] for row in cursor.fetchall()}


def write_results(*, results: Sequence[tuple[int, processing.AssetResult]], now: datetime) -> None:
    """Write assets, their references and key definitions, and the items' final states.

    ``results`` pairs item ids with what processing them produced; the caller has checked that
    it still holds their leases. A failure replaces the asset's references (it has none now); an
    unchanged skip leaves the asset as it was.
    """
    when = stamp(now)
    rewritten = [result for _, result in results if result.status != processing.SKIPPED]
    with connection.cursor() as cursor:
        asset_ids: dict[str, int] = {}
        if rewritten:
            asset_ids, existing = _upsert_assets(cursor, [_asset_row(r, when) for r in rewritten])
            if existing:
                for model in (Reference, KeyDefinition):
                    cursor.execute(
                        f"DELETE FROM {table(model)} "
                        f"WHERE {q('asset_id')} IN ({marks(len(existing))})",
                        existing,
                    )
            _insert_references(cursor, rewritten, asset_ids)

        # One UPDATE per distinct outcome: most of a batch shares state, type and (empty) error.
        groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        for item_id, result in results:
            groups[(_STATE_OF[result.status], result.asset_type, result.error)].append(item_id)
        item = table(ExecutionItem)
        for (state, asset_type, error), ids in groups.items():
            cursor.execute(
                f"UPDATE {item} SET {q('state')} = %s, {q('asset_type')} = %s, "
                f"{q('error')} = %s, {q('finished_at')} = %s, "
                f"{q('lease_owner')} = '', {q('lease_expires_at')} = NULL, "
                f"{q('asset_id')} = (SELECT a.{q('id')} FROM {table(Asset)} a "
                f"WHERE a.{q('relpath')} = {item}.{q('relpath')}) "
                f"WHERE {q('id')} IN ({marks(len(ids))})",
                [state, asset_type, error, when, *ids],
            )


def _insert_references(
    cursor: Any, results: Iterable[processing.AssetResult], asset_ids: dict[str, int]
) -> None:
    ref_rows = []
    key_rows = []
    for result in results:
        if result.status != processing.SUCCESS:
            continue
        asset_id = asset_ids[result.relpath]
        for ref in result.references:
            ref_rows.append(
                (asset_id, ref.attribute, ref.value, ref.link_type, ref.scope, ref.element[:64],
                 ref.line, ref.target or "", (ref.key or "")[:255], ref.broken)
            )  # fmt: skip
        for key in result.key_definitions:
            key_rows.append((asset_id, key.key[:255], key.href, key.target or ""))
    _insert_many(cursor, Reference, _REFERENCE_COLUMNS, ref_rows)
    _insert_many(cursor, KeyDefinition, ("asset_id", "key", "href", "target"), key_rows)


def release(*, ids: Iterable[int], owner: str) -> None:
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
