"""The calculation: slot 0 walks the execution's folders (or files) into its manifest.

The walk writes a chunk of items per transaction and records how far it got (``walk_cursor``), so
that a task whose time ran out, or a worker that died, resumes where the last chunk ended. Files
outside the type and time filters are left out (``selection``, which also cuts the walk into
chunks); files the walk cannot hand to processing are written as skipped, with their reason.

An execution of several paths walks them one after the other in the order of their parts
(``selection.walk_order``). The paths never contain each other (validation refuses that), so the
relpaths of the whole walk come in one increasing order and the one cursor (the parts of the last
file written) resumes it: a path sorting wholly before the cursor yields nothing, the one holding
it continues after it, the later ones are walked whole.
"""

import functools
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .. import content
from ..executions.lifecycle import execution_fail
from ..models import CalculationStatus, Execution, ExecutionStatus
from ..text import plural
from . import sql
from .ahead import Later, ahead, ahead_parts
from .loglines import INFO, WARN
from .selection import Chunk, Fingerprints, Walk, merged

if TYPE_CHECKING:
    from .slot import SlotWorker

# Rows written to the manifest per transaction during the calculation.
_CALCULATION_CHUNK = 5000
# Files walked at most per transaction where the walk leaves files out of the manifest (an
# unchanged rerun): a stat of 40,000 files takes about 0.1 s on two cores, so the deadline and
# a cancel are still looked at often.
_CALCULATION_WALKED = 40_000
# Chunks the walk may be ahead of the writes where it runs in a thread (``ahead``).
_WALK_AHEAD = 2
# Processes that walk at once where the walk looks at each file (``_chunks``), and the least
# number of parts it is cut into where the tree allows (a part is a folder's sub-tree: a few
# per process even out sub-trees of different sizes).
_WALKERS = 2
_PARTS_LEAST = 16


# How a task's part of the calculation ended.
_DONE, _PAUSED, _STOPPED = "done", "out of time", "stopped"


def calculate(worker: "SlotWorker") -> bool:
    """Walk the paths into the manifest until done (True) or out of time or cancelled.

    Every path must be there: when one is gone the execution fails (resume, once it is back,
    continues the walk where it stopped).
    """
    keep = False
    try:
        ended = _calculate(worker)
        # The next task of the calculation runs in this process: keep what it would read again.
        keep = ended == _PAUSED and worker.continues_here
        return ended == _DONE
    finally:
        if not keep:
            _PREVIOUS.drop(worker.execution.processing_id)


# Its steps share one walk, its cursor and the chunk being written; they read best in order.
def _calculate(worker: "SlotWorker") -> str:
    execution = Execution.objects.get(pk=worker.execution_id)
    if not _begin(worker, execution):
        return _STOPPED
    excluded = frozenset(
        content.to_relpath(path) for path in execution.excluded.values_list("path", flat=True)
    )
    types = frozenset(execution.file_types)
    after = bytes.fromhex(execution.walk_cursor)
    window = (execution.modified_after, execution.modified_before)
    # filterProcessedAssets: a file whose size and mtime are those of its last successful
    # processing is left out of the manifest unread, as git's index decides a file is unchanged
    # (GUIDES_VERIFY_CHECKSUM: every file is read and its checksum compared, by processing).
    # The fingerprints are read once the walk has begun, unless an earlier task of this
    # calculation read them here.
    previous: Fingerprints | Later[Fingerprints] = Fingerprints()
    if execution.filter_processed_assets and not settings.GUIDES_VERIFY_CHECKSUM:
        key = (worker.execution.processing_id, worker.relfolders, bool(types))
        previous = _PREVIOUS.kept(*key) or Later(functools.partial(_PREVIOUS.get, *key))
    walk = Walk(worker.root, worker.relfolders, excluded, types, window)
    with _chunks(walk, previous, after) as chunks:
        for chunk in chunks:
            # Everything up to the chunk's cursor is now in the manifest (or filtered out).
            _write_manifest(worker, chunk)
            if chunk.cursor is None:
                return _DONE
            if worker.read_status() != ExecutionStatus.IN_PROGRESS:
                return _STOPPED
            if time.monotonic() >= worker.deadline:
                return _PAUSED
    raise AssertionError("the walk ends with a last chunk")  # pragma: no cover


@contextmanager
def _chunks(
    walk: Walk, previous: Fingerprints | Later[Fingerprints], after: bytes
) -> Iterator[Iterator[Chunk]]:
    """The walk's chunks, read ahead: a walk that only lists in one other process (the writes
    are the rest of the work), one that also looks at each file cut into parts walked by
    ``_WALKERS`` processes at once (the writes are then little: a stat of every file was most
    of an unchanged rerun's calculation). Fingerprints to come are read while the parts'
    processes walk, and handed to them."""
    parts = (
        walk.parts(after, _PARTS_LEAST)
        if walk.reads_files(previous) and _WALKERS > 1
        else [(after, None)]
    )
    if len(parts) == 1:
        if isinstance(previous, Later):
            previous = previous.get()
        with ahead(walk.chunks(previous, after, _CALCULATION_CHUNK), _WALK_AHEAD) as chunks:
            yield chunks
        return
    later = previous if isinstance(previous, Later) else None
    # Each walking process walks its parts as one walk (``Walk.part_chunks``): it goes on into
    # its next part while the fingerprints are read.
    run = functools.partial(walk.part_chunks, previous, size=_CALCULATION_CHUNK)
    with ahead_parts(parts, _WALK_AHEAD, processes=_WALKERS, later=later, run=run) as read:
        yield merged(read, _CALCULATION_CHUNK, walked=_CALCULATION_WALKED)


class _Fingerprints:
    """The ``success_fingerprints`` of the execution whose calculation this process works on,
    kept for the next task of its calculation when this process runs it. The command line cuts
    a calculation into tasks of a second, for its progress: reading them again for each took
    1.1 s of a 100,000-file unchanged rerun's 5.5 s (0.35 s a read). Safe while the calculation
    runs: no other execution writes below its folders (they may not overlap), and an asset its
    own items write was in its manifest already, before the cursor. Dropped when a task ends
    otherwise (done, cancelled, failed, or continued by a cluster's task, in any process)."""

    # Keyed by the processing id, not the row's id: a row id can come back (SQLite reuses the
    # ids of rolled-back rows), a random UUID does not.
    def __init__(self) -> None:
        self._key: tuple[uuid.UUID, tuple[str, ...], bool] | None = None
        self._found = Fingerprints()

    def get(self, processing_id: uuid.UUID, relfolders: Sequence[str], typed: bool) -> Fingerprints:
        key = (processing_id, tuple(relfolders), typed)
        if key != self._key:
            self._key, self._found = None, Fingerprints()  # the previous one's memory first
            self._found, self._key = success_fingerprints(relfolders, typed=typed), key
        return self._found

    def kept(
        self, processing_id: uuid.UUID, relfolders: Sequence[str], typed: bool
    ) -> Fingerprints | None:
        """The fingerprints kept for this calculation, if any (``get`` would not read them)."""
        return self._found if self._key == (processing_id, tuple(relfolders), typed) else None

    def drop(self, processing_id: uuid.UUID) -> None:
        if self._key is not None and self._key[0] == processing_id:
            self._key, self._found = None, Fingerprints()


_PREVIOUS = _Fingerprints()


def _begin(worker: "SlotWorker", execution: Execution) -> bool:
    """Check that every path is there (else fail the execution: False) and mark the calculation
    in progress, with its first log line the first time."""
    for path in execution.all_paths:
        try:
            content.resolve_target(worker.root, path)
        except content.ContentPathError as exc:
            execution_fail(
                execution_id=worker.execution_id,
                reason=f"the folder cannot be processed: {exc.message} Put it back, then "
                "resume: the execution continues where it stopped.",
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
                    lines=[
                        (INFO, f"Calculating the assets under {', '.join(execution.all_paths)}.")
                    ],
                    now=timezone.now(),
                )
    return True


def success_fingerprints(relfolders: Sequence[str], *, typed: bool = True) -> Fingerprints:
    """(size, mtime, type) of the last successful processing of each live asset below the
    folders, or at a path that is a file (``sql.fingerprint_rows``); without the type unless
    ``typed`` (a walk with no type filter never asks for it)."""
    found = Fingerprints()
    for relfolder in relfolders:
        for rows in sql.fingerprint_rows(relfolder, typed=typed):
            if typed:
                found.extend(rows)
            else:
                found.extend_untyped(rows)
    return found


def _write_manifest(worker: "SlotWorker", chunk: Chunk) -> None:
    """Add a chunk of the walk to the manifest; its unchanged files are counted (in the total and
    as skipped) but get no item: nothing is to be done for them. The walk's last chunk (no
    cursor) ends the calculation."""
    now = timezone.now()
    done = chunk.cursor is None
    problems = [
        (WARN, f"Skipped {content.to_virtual(relpath)}: {problem}.")
        for relpath, problem in chunk.skipped
    ]
    with transaction.atomic():
        sql.commit_without_waiting()
        worker.beat()
        if worker.read_status(force=True) != ExecutionStatus.IN_PROGRESS:
            return
        sql.add_items(
            execution_id=worker.execution_id, pending=chunk.pending, skipped=chunk.skipped, now=now
        )
        updates: dict[str, Any] = {"total_files": F("total_files") + chunk.counted}
        if chunk.cursor is not None:
            updates["walk_cursor"] = chunk.cursor.hex()
        else:
            updates["calculation_status"] = CalculationStatus.SUCCESS
        Execution.objects.filter(pk=worker.execution_id).update(**updates)
        lines = list(problems)
        if done:
            counted = Execution.objects.only("total_files").get(pk=worker.execution_id)
            unread = counted.unchanged_count
            lines.append((INFO, f"Calculation done: {counted.total_files:,} assets to process."))
            if unread:
                lines.append(
                    (
                        INFO,
                        f"Skipped {plural(unread, 'asset')} unchanged since their last successful "
                        "processing (same size and modification time), without reading them.",
                    )
                )
        sql.append_log(
            execution_id=worker.execution_id,
            lines=lines,
            now=now,
            counters={"skipped_count": len(problems) + chunk.unchanged},
        )
