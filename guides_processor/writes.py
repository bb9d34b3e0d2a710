"""The hot path of the engine in plain SQL: claiming a batch and writing what it produced.

These run once per batch, on every worker, for every file of a repository, so they go around the
ORM's per-object work: a handful of statements per batch, whatever its size. The statements are
portable between SQLite (3.35 or newer, for RETURNING) and PostgreSQL. Only ``services`` calls them,
inside its transactions.
"""

import json
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


def claim_batch(
    *, execution_id: int, owner: str, now: datetime, expires: datetime, limit: int
) -> list[tuple[int, str]]:
    """Lease up to ``limit`` claimable items (pending, unleased or lease expired), in id order.

    On PostgreSQL rows another transaction is claiming are skipped, not waited for; on SQLite the
    write lock taken at BEGIN IMMEDIATE serialises claims.
    """
    item = table(ExecutionItem)
    skip = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {item} SET {q('lease_owner')} = %s, {q('lease_expires_at')} = %s "
            f"WHERE {q('id')} IN (SELECT {q('id')} FROM {item} "
            f"WHERE {q('execution_id')} = %s AND {q('state')} = %s "
            f"AND ({q('lease_expires_at')} IS NULL OR {q('lease_expires_at')} < %s) "
            f"ORDER BY {q('id')} LIMIT %s{skip}) "
            f"RETURNING {q('id')}, {q('relpath')}",
            [owner, stamp(expires), execution_id, ItemState.PENDING, stamp(now), limit],
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

    The pending ones go in as one statement whatever their number: the relpaths travel as one
    array parameter that the database unpacks (``json_each`` on SQLite, ``unnest`` on
    PostgreSQL), which costs a fraction of binding a row of parameters per file.
    """
    item = table(ExecutionItem)
    names = columns("execution_id", "relpath", "state", "lease_owner", "error", "asset_type")
    with connection.cursor() as cursor:
        if pending:
            values: Any
            if connection.vendor == "postgresql":
                source, values = "unnest(%s::text[]) AS p(value)", list(pending)
            else:
                source, values = "json_each(%s)", json.dumps(pending)
            cursor.execute(
                f"INSERT INTO {item} ({names}) SELECT %s, value, %s, '', '', '' FROM {source}",
                [execution_id, ItemState.PENDING, values],
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


def append_log(
    *,
    execution_id: int,
    lines: Sequence[tuple[str, str]],
    now: datetime,
    counters: dict[str, int] | None = None,
) -> None:
    """Append log lines and add to counters of an execution, in the caller's transaction.

    Line numbers come from ``log_line_count``, incremented by the same UPDATE that reads it back,
    so they are dense and never reused while several workers write.
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
        cursor.executemany(
            f"INSERT INTO {table(LogLine)} "
            f"({columns('execution_id', 'line', 'time', 'level', 'message')}) "
            "VALUES (%s, %s, %s, %s, %s)",
            [
                (execution_id, start + offset, when, level, message)
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


def _upsert_assets_sql() -> str:
    asset = table(Asset)
    kept = [f"{q(name)} = excluded.{q(name)}" for name in _ASSET_ALWAYS]
    # A failure keeps the fingerprint of the last success, which filterProcessedAssets compares.
    kept += [
        f"{q(name)} = CASE WHEN excluded.{q('status')} = '{processing.SUCCESS}' "
        f"THEN excluded.{q(name)} ELSE {asset}.{q(name)} END"
        for name in _ASSET_ON_SUCCESS
    ]
    return (
        f"INSERT INTO {asset} ({columns(*_ASSET_COLUMNS)}) VALUES ({marks(len(_ASSET_COLUMNS))}) "
        f"ON CONFLICT ({q('relpath')}) DO UPDATE SET {', '.join(kept)}"
    )


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
            cursor.executemany(_upsert_assets_sql(), [_asset_row(r, when) for r in rewritten])
            relpaths = [r.relpath for r in rewritten]
            cursor.execute(
                f"SELECT {q('relpath')}, {q('id')} FROM {table(Asset)} "
                f"WHERE {q('relpath')} IN ({marks(len(relpaths))})",
                relpaths,
            )
            asset_ids = dict(cursor.fetchall())
            ids = list(asset_ids.values())
            for model in (Reference, KeyDefinition):
                cursor.execute(
                    f"DELETE FROM {table(model)} WHERE {q('asset_id')} IN ({marks(len(ids))})", ids
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
    if ref_rows:
        cursor.executemany(
            f"INSERT INTO {table(Reference)} ({columns(*_REFERENCE_COLUMNS)}) "
            f"VALUES ({marks(len(_REFERENCE_COLUMNS))})",
            ref_rows,
        )
    if key_rows:
        cursor.executemany(
            f"INSERT INTO {table(KeyDefinition)} ({columns('asset_id', 'key', 'href', 'target')}) "
            "VALUES (%s, %s, %s, %s)",
            key_rows,
        )


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
