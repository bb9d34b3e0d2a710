"""The calculation: slot 0 walks the execution's folder into its manifest.

The walk writes a chunk of items per transaction and records how far it got (``walk_cursor``), so
that a task whose time ran out, or a worker that died, resumes where the last chunk ended. Files
outside the type and time filters are left out here; files the walk cannot hand to processing
are written as skipped, with their reason.
"""

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .. import content, processing
from ..executions.lifecycle import execution_fail
from ..models import CalculationStatus, Execution, ExecutionStatus
from . import sql
from .loglines import INFO, WARN

if TYPE_CHECKING:
    from .slot import SlotWorker

# Rows written to the manifest per transaction during the calculation.
_CALCULATION_CHUNK = 5000


def calculate(worker: "SlotWorker") -> bool:
    """Walk the folder into the manifest until done (True) or out of time or cancelled."""
    execution = Execution.objects.get(pk=worker.execution_id)
    now = timezone.now()
    try:
        content.resolve_target(worker.root, execution.path)
    except content.ContentPathError as exc:
        execution_fail(
            execution_id=worker.execution_id,
            reason=f"the folder cannot be processed: {exc.message}",
            folder_gone=True,
        )
        return False
    if execution.calculation_status != CalculationStatus.IN_PROGRESS:
        with transaction.atomic():
            Execution.objects.filter(pk=worker.execution_id).update(
                calculation_status=CalculationStatus.IN_PROGRESS
            )
            if not execution.walk_cursor:
                sql.append_log(
                    execution_id=worker.execution_id,
                    lines=[(INFO, f"Calculating the assets under {execution.path}.")],
                    now=now,
                )
    excluded = frozenset(
        content.to_relpath(path) for path in execution.excluded.values_list("path", flat=True)
    )
    types = frozenset(execution.file_types)
    after = bytes.fromhex(execution.walk_cursor)
    window = (execution.modified_after, execution.modified_before)
    with_mtime = window != (None, None)
    entries = content.walk(
        worker.root, worker.relfolder, excluded=excluded, after=after, with_mtime=with_mtime
    )
    chunk: list[content.WalkEntry] = []
    filtered = bool(types) or with_mtime
    for walked, entry in enumerate(entries, start=1):
        if not filtered or entry.problem or _wanted(worker, entry, types, window):
            chunk.append(entry)
        if len(chunk) >= _CALCULATION_CHUNK or walked % _CALCULATION_CHUNK == 0:
            # Everything up to this entry's cursor is now in the manifest (or filtered out).
            _write_manifest(worker, chunk, entry.cursor)
            chunk = []
            if (
                time.monotonic() >= worker.deadline
                or worker.read_status() != ExecutionStatus.IN_PROGRESS
            ):
                return False
    _write_manifest(worker, chunk, None, done=True)
    return True


def _wanted(
    worker: "SlotWorker",
    entry: content.WalkEntry,
    types: frozenset[str],
    window: tuple[datetime | None, datetime | None],
) -> bool:
    after, before = window
    if after is not None and entry.mtime < after.timestamp():
        return False
    if before is not None and entry.mtime > before.timestamp():
        return False
    if types:
        # The same decision processing makes, from the same bytes of the file's head.
        asset_type = processing.file_type(worker.root, entry.relpath)
        return asset_type is None or asset_type in types  # unreadable: processing says why
    return True


def _write_manifest(
    worker: "SlotWorker",
    chunk: list[content.WalkEntry],
    cursor: bytes | None,
    *,
    done: bool = False,
) -> None:
    now = timezone.now()
    pending = [entry.relpath for entry in chunk if not entry.problem]
    skipped = [(entry.relpath, entry.problem) for entry in chunk if entry.problem]
    problems = [
        (WARN, f"Skipped {content.to_virtual(relpath)}: {problem}.") for relpath, problem in skipped
    ]
    with transaction.atomic():
        sql.commit_without_waiting()
        worker.beat()
        if worker.read_status(force=True) != ExecutionStatus.IN_PROGRESS:
            return
        sql.add_items(execution_id=worker.execution_id, pending=pending, skipped=skipped, now=now)
        updates: dict[str, Any] = {"total_files": F("total_files") + len(chunk)}
        if cursor is not None:
            updates["walk_cursor"] = cursor.hex()
        if done:
            updates["calculation_status"] = CalculationStatus.SUCCESS
        Execution.objects.filter(pk=worker.execution_id).update(**updates)
        lines = list(problems)
        if done:
            total = (
                Execution.objects.filter(pk=worker.execution_id)
                .values_list("total_files", flat=True)
                .get()
            )
            lines.append((INFO, f"Calculation done: {total} assets to process."))
        sql.append_log(
            execution_id=worker.execution_id,
            lines=lines,
            now=now,
            counters={"skipped_count": len(problems)},
        )
