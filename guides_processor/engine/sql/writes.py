"""Writes: the manifest's items, log lines with the execution's counters, and a processed batch's
results (assets, their references, the items' final states). A batch's rows are built before its
write transaction (``prepare_results``) and written in it (``write_results``), by
``engine/batch.py`` once it has checked that its task still owns the items.
"""

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

from ... import processing
from ...models import Asset, Execution, ExecutionItem, ItemState, LogLine, Reference
from ...text import one_line
from .common import Hooks, columns, json_value, marks, q, stamp, table


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
    "warning", "note", "fallback_key",
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


# The columns of a manifest item as the calculation inserts it.
ITEM_COLUMNS = ("execution_id", "relpath", "state", "lease_owner", "error", "asset_type")


class Writes(Hooks):
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
        keys = iter(self.new_uuids(sum(_recorded(r) for _, r in results)))
        prepared = []
        for item_id, result in results:
            if not _recorded(result):
                prepared.append(PreparedResult(item_id, result, None, []))
                continue
            if result.error == processing.EMPTY:
                # An empty file is an asset with nothing in it: recorded as a success (the file
                # is there, at that size and time), though its item says it was skipped.
                as_success = dataclasses.replace(result, status=processing.SUCCESS, error="")
                asset = self._asset_row(as_success, next(keys), when)
            else:
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


def _recorded(result: processing.AssetResult) -> bool:
    """Whether a result writes its asset: all but the skipped ones, except an empty file (a
    skip that is not "unchanged": its asset must say it is empty now, or the catch-up would
    find it new, or changed, at every look, and a status job would call it PENDING for ever)."""
    return result.status != processing.SKIPPED or result.error == processing.EMPTY


def _reference_rows(result: processing.AssetResult) -> list[tuple[Any, ...]]:
    """The rows of a successful result's references, without their asset's id (none for
    another outcome)."""
    if result.status != processing.SUCCESS:
        return []
    return [
        (ref.attribute, ref.value, ref.link_type, ref.scope, ref.element[:64], ref.line,
         ref.target or "", (ref.key or "")[:255], ref.broken, ref.reason, ref.topic_id or "",
         ref.element_id or "", ref.fallback, "", "", ref.fallback_key or "")
        for ref in result.references
    ]  # fmt: skip
