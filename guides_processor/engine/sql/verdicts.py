"""The link pass's verdicts: written a page at a time (with Used in's targets after them), file
references judged again, Used in rebuilt for an execution's assets, and the counts its summary
reads. ``keys.py`` decides what is judged (``LinkScope``) and judges what needs key spaces.
"""

from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from ... import processing
from ...models import Asset, ExecutionItem, ItemState, Reference, UsedIn
from .backend import BACKEND
from .common import columns, marks, q, table

# Rows read, judged and written at a time by the link pass: what a worker holds of it is one
# page, whatever the repository's size (all of a 100,000-file repository's key references read
# at once and their verdicts staged at once took a worker from 190 MB to 490 MB). A million-file
# finish peaked at 293 MB with pages of 20,000 and at 282 MB with 10,000, in as long (92.4 s and
# 89.1 s).
_PAGE = 10_000
# Temporary table of the references' verdicts a finish updates (``Backend.stage``).
_VERDICTS = "guides_verdict_stage"
KEPT_REASONS = (processing.OUTSIDE_ROOT, processing.LINK_NOT_FOLLOWED)


def in_execution_sql() -> str:
    """A sub-SELECT of the assets an execution processed successfully (its parameters: the
    execution's id and ``ItemState.DONE``)."""
    return (
        f"SELECT {columns('asset_id')} FROM {table(ExecutionItem)} "
        f"WHERE {columns('execution_id')} = %s AND {columns('state')} = %s "
        f"AND {columns('asset_id')} IS NOT NULL"
    )


# (broken, reason, warning, note, target, id)
Update = tuple[bool, str, str, str, str, int]


def written(execution_id: int) -> "QuerySet[ExecutionItem]":
    """The execution's items whose writing others may see: processed, or failed where they were
    not failed before (``ExecutionItem.repeated_failure``)."""
    return ExecutionItem.objects.filter(
        execution_id=execution_id,
        state__in=(ItemState.DONE, ItemState.FAILED),
        repeated_failure__isnull=True,
    )


class Touched:
    """The references whose verdict an execution that changed no map may have changed: an SQL
    condition on ``r`` (a reference) and its parameters. Its own assets' references (through the
    reference index, which starts with the asset), and those whose target it processed, failed,
    deleted or revived (``target`` has no index: each insert would pay for one, so this is a
    scan of one column, in the database). A failure that repeats the last one
    (``ExecutionItem.repeated_failure``) changes no other asset's verdict: an unchanged rerun
    retries its failed files, and judging the references to them took 2.3 s of a 100,000-file
    rerun's 7.5 s to build key spaces for nothing."""

    def __init__(self, execution_id: int, changed: Sequence[str]) -> None:
        item = table(ExecutionItem)
        where = f"{q('execution_id')} = %s AND {q('state')}"
        extra = f" OR r.{q('target')} IN ({marks(len(changed))})" if changed else ""
        self.execution_id = execution_id
        self.sql = (
            f"(r.{q('asset_id')} IN (SELECT {q('asset_id')} FROM {item} WHERE {where} = %s) "
            f"OR r.{q('target')} IN (SELECT {q('relpath')} FROM {item} "
            f"WHERE {where} IN (%s, %s) AND {q('repeated_failure')} IS NULL){extra})"
        )
        self.params: list[Any] = [execution_id, ItemState.DONE]
        self.params += [execution_id, ItemState.DONE, ItemState.FAILED, *changed]
        self._changed = changed

    def nothing(self) -> bool:
        """Whether the execution wrote no asset (but repeated failures) and deleted or revived
        none: then no reference is to be judged, and the two scans of the references that would
        find none are spared (0.6 s of a 100,000-file unchanged rerun)."""
        return not self._changed and not written(self.execution_id).exists()


def pages(
    sql: str, params: Sequence[Any], *, alias: str = "r", size: int | None = None
) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``sql`` (a SELECT of rows ``alias``, references by default, whose first
    column is their id), ``size`` at a time in the order of their ids, each read whole
    (``pages_by_id`` for raw SQL)."""
    size = size or _PAGE  # read when called: the tests make pages of one
    last = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"{sql} AND {alias}.{q('id')} > %s ORDER BY {alias}.{q('id')} LIMIT {size}",
                [*params, last],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def write_verdicts(updates: Sequence[Update]) -> None:
    """The new verdicts, and Used in's targets after them, in three set-based statements over
    the staged rows (one UPDATE per reference cost 5.7 s of a 20,000-file first finish on
    PostgreSQL, for 18,909 references; staged so, with the key texts, that finish took 5 s
    where it took 10 s)."""
    if not updates:
        return
    ref, used_in = table(Reference), table(UsedIn)
    verdict = ("broken", "reason", "warning", "note", "target")
    with connection.cursor() as cursor:
        BACKEND.stage(cursor, _VERDICTS, f"SELECT {columns(*verdict, 'id')} FROM {ref}", updates)
        cursor.execute(
            f"UPDATE {ref} SET {', '.join(f'{q(name)} = s.{q(name)}' for name in verdict)} "
            f"FROM {_VERDICTS} s WHERE {ref}.{q('id')} = s.{q('id')}"
        )
        # The targets of Used in follow (a key resolved to another file, or to none now).
        cursor.execute(
            f"INSERT INTO {used_in} ({columns('reference_id', 'target', 'asset_id', 'key')}) "
            f"SELECT r.{q('id')}, r.{q('target')}, r.{q('asset_id')}, r.{q('key')} FROM {ref} r "
            f"JOIN {_VERDICTS} s ON s.{q('id')} = r.{q('id')} WHERE s.{q('target')} <> '' "
            f"ON CONFLICT ({q('reference_id')}) "
            f"DO UPDATE SET {q('target')} = excluded.{q('target')}"
        )
        cursor.execute(
            f"DELETE FROM {used_in} WHERE {q('reference_id')} IN "
            f"(SELECT {q('id')} FROM {_VERDICTS} WHERE {q('target')} = '')"
        )


def judge_files(only: Touched | None) -> Iterator[list[Update]]:
    """The changed verdicts of file references, a page at a time: those of live assets whose
    target is a known asset, and whose verdict may differ from the one processing gave (one with
    a fragment, whose target's ids may have changed, or one whose target's presence disagrees
    with its ``broken``).

    A fallback ``@href``/``@conref`` is judged with the key beside it, by the key pass.

    A reference that is not broken, to an element its live topic has, keeps its verdict
    (``_file_verdict``): the database leaves it out, with the topic's ids. The first finish over
    the 100,000 generated files read 135,166 references with their targets' ids in 1.26 s on
    SQLite, where 191 remain to judge, read in 0.88 s.
    """
    ref, asset = table(Reference), table(Asset)
    gone = f"t.{q('deleted_at')} IS NOT NULL"
    ids = f"t.{q('ids')}"
    element = (
        f"r.{q('topic_id')} || CASE WHEN r.{q('element_id')} <> '' "
        f"THEN '/' || r.{q('element_id')} ELSE '' END"
    )
    kept = (
        f"t.{q('deleted_at')} IS NULL AND t.{q('asset_type')} = %s AND t.{q('status')} = %s "
        f"AND NOT r.{q('broken')} AND r.{q('reason')} = '' AND r.{q('topic_id')} <> '' "
        f"AND {BACKEND.has_line(ids, element)}"
    )
    sql = (
        f"SELECT r.{q('id')}, r.{q('target')}, r.{q('topic_id')}, r.{q('element_id')}, "
        f"r.{q('broken')}, r.{q('reason')}, r.{q('warning')}, r.{q('note')}, {gone}, "
        f"{ids}, t.{q('asset_type')}, t.{q('status')} FROM {ref} r "
        f"JOIN {asset} s ON s.{q('id')} = r.{q('asset_id')} "
        f"JOIN {asset} t ON t.{q('relpath')} = r.{q('target')} "
        f"WHERE r.{q('key')} = '' AND r.{q('fallback_key')} = '' AND r.{q('target')} <> '' "
        f"AND s.{q('deleted_at')} IS NULL "
        f"AND r.{q('reason')} NOT IN ({marks(len(KEPT_REASONS))}) "
        f"AND (r.{q('topic_id')} <> '' OR r.{q('broken')} <> ({gone})) AND NOT ({kept})"
        + (f" AND {only.sql}" if only else "")
    )
    params = [*KEPT_REASONS, processing.DITATOPIC, processing.SUCCESS]
    for rows in pages(sql, [*params, *(only.params if only else [])]):
        yield [update for row in rows if (update := _file_verdict(row)) is not None]


def _file_verdict(row: tuple[Any, ...]) -> Update | None:
    """The new verdict of one file reference row of ``judge_files``, None when unchanged."""
    ref_id, target, topic_id, element_id, broken, reason, warning, note, is_gone = row[:9]
    ids_text, asset_type, status = row[9:]
    new_reason = file_reason(
        reason,
        gone=is_gone,
        topic_id=topic_id,
        element_id=element_id,
        ids_text=ids_text,
        asset_type=asset_type,
        status=status,
    )
    if (new_reason != "", new_reason) == (bool(broken), reason):
        return None
    return (new_reason != "", new_reason, warning, note, target, ref_id)


def file_reason(
    reason: str,
    *,
    gone: bool,
    topic_id: str,
    element_id: str,
    ids_text: str,
    asset_type: str,
    status: str,
) -> str:
    """The reason of a file reference judged against its target's asset ("" when not broken;
    ``reason``: the one it has): deleted, FILE_MISSING; a successful topic without the
    fragment's id, ELEMENT_MISSING; a target whose ids are unknown now (it failed) keeps an
    ELEMENT_MISSING that processing gave. For ``judge_files``, and for a used fallback
    (``keys._fallback_verdict``)."""
    readable = asset_type == processing.DITATOPIC and status == processing.SUCCESS
    if gone:
        return processing.FILE_MISSING
    if topic_id and readable:
        wanted = f"{topic_id}/{element_id}" if element_id else topic_id
        return "" if wanted in ids_text.split("\n") else processing.ELEMENT_MISSING
    if topic_id and reason == processing.ELEMENT_MISSING:
        return reason
    return ""


def index_used_in(execution_id: int) -> None:
    """Bring ``UsedIn`` up to date with the references of the assets this execution wrote.

    Their rows are replaced: those of references deleted when an asset was processed again go,
    the current ones are inserted in target order (each insert lands next to the previous one in
    the target index). Run before ``resolve_keys``, which then corrects the targets it changes.
    Cost: O(the execution's references), through the asset indexes.
    """
    used_in, ref = table(UsedIn), table(Reference)
    assets = (
        f"SELECT {columns('asset_id')} FROM {table(ExecutionItem)} "
        f"WHERE {columns('execution_id')} = %s AND {columns('asset_id')} IS NOT NULL"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {used_in} WHERE {q('asset_id')} IN ({assets})", [execution_id])
        cursor.execute(
            f"INSERT INTO {used_in} ({columns('reference_id', 'target', 'asset_id', 'key')}) "
            f"SELECT {columns('id', 'target', 'asset_id', 'key')} FROM {ref} "
            f"WHERE {q('asset_id')} IN ({assets}) AND {q('target')} <> '' "
            f"ORDER BY {columns('target', 'id')}",
            [execution_id],
        )


def undefined_keys(execution_id: int) -> list[tuple[str, int, str]]:
    """(key, references, first asset) of every key left undefined in the execution's assets."""
    ref, asset = table(Reference), table(Asset)
    key = q("key")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r.{key}, COUNT(*), MIN(a.{columns('relpath')}) FROM {ref} r "
            f"JOIN {asset} a ON a.{columns('id')} = r.{columns('asset_id')} "
            f"WHERE r.{columns('reason')} = %s "
            f"AND r.{columns('asset_id')} IN ({in_execution_sql()}) "
            f"GROUP BY r.{key} ORDER BY r.{key}",
            [processing.KEY_UNDEFINED, execution_id, ItemState.DONE],
        )
        return [(name, count, first) for name, count, first in cursor.fetchall()]


def broken_references_by_reason(execution_id: int) -> dict[str, int]:
    """The broken references of the assets this execution processed, counted by reason code."""
    ref = table(Reference)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns('reason')}, COUNT(*) FROM {ref} WHERE {columns('broken')} "
            f"AND {columns('asset_id')} IN ({in_execution_sql()}) GROUP BY {columns('reason')} "
            f"ORDER BY {columns('reason')}",
            [execution_id, ItemState.DONE],
        )
        return {str(reason): int(count) for reason, count in cursor.fetchall()}


def broken_elsewhere(execution_id: int) -> int:
    """The broken references of the live assets this execution did not process: counted before
    and after its link pass, the difference is what it changed for the assets whose links lead
    into its own (the count of its own assets' says nothing of those). 9 to 17 ms over 640,000
    references, 400 of them broken (PostgreSQL, SQLite; warm)."""
    ref, asset = table(Reference), table(Asset)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {ref} r JOIN {asset} a ON a.{q('id')} = r.{q('asset_id')} "
            f"WHERE r.{q('broken')} AND a.{q('deleted_at')} IS NULL "
            f"AND r.{q('asset_id')} NOT IN ({in_execution_sql()})",
            [execution_id, ItemState.DONE],
        )
        (count,) = cursor.fetchone()
    return int(count)
