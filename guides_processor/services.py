"""Every write and every status change of the asset processor.

The console, the API, the management commands and the django-q2 tasks call these functions and
nothing else, so they cannot disagree. State changes are compare-and-swap updates along the edges
of ``models.TRANSITIONS``; a change that is not allowed raises ``Conflict``.

The job protocol (DESIGN section 3):

* ``execution_create`` validates the request, refuses a path that overlaps an active execution,
  and queues the execution as WAITING. ``executions_start_waiting`` promotes WAITING executions
  while fewer than ``GUIDES_MAX_RUNNING`` run, and enqueues one task per slot.
* A slot's task (``execution_work``) calculates the manifest (slot 0 only, resumable from a cursor),
  then claims batches of PENDING items under a lease, processes them outside any transaction and
  writes results, item states, log lines and counters in one short transaction per batch. After
  ``GUIDES_TASK_SECONDS`` it enqueues its own continuation.
* ``executions_recover`` (the watchdog) re-enqueues slots whose heartbeat is stale, completes
  cancels nobody is left to complete, and finishes executions whose last batch was written.
"""

import logging
import math
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import Case, DateTimeField, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_q.tasks import async_task

from . import content, processing, writes
from .models import (
    ACTIVE_STATUSES,
    FINISHED_STATUSES,
    PROCESSING_TYPE,
    RUNNING_STATUSES,
    Asset,
    CalculationStatus,
    ExcludedFolder,
    Execution,
    ExecutionItem,
    ExecutionSlot,
    ExecutionStatus,
    ItemState,
    KeyDefinition,
    Reference,
    sources_of,
)

logger = logging.getLogger(__name__)

INFO, WARN, ERROR = "INFO", "WARN", "ERROR"

# pg_advisory_xact_lock key that serialises queue decisions across hosts ("GAPQ").
_QUEUE_LOCK_KEY = 0x47415051
# Rows written to the manifest per transaction during the calculation.
_CALCULATION_CHUNK = 5000
# How often a working task looks at the execution's status for a cancel.
_CANCEL_POLL_SECONDS = 0.5
# How often a working task looks for sibling slots whose worker died.
_SIBLING_CHECK_SECONDS = 5.0
# How often slot 0 looks whether the planner's statistics of the engine's tables are stale.
_STATISTICS_SECONDS = 5.0
# How long a task with nothing to claim sleeps before it looks again.
_IDLE_SLEEP_SECONDS = 0.5
# Undefined keys listed one by one in the log when an execution finishes.
_KEY_LOG_LIMIT = 100


class ServiceError(Exception):
    """A request that cannot be carried out. ``code`` and ``status`` map it to an API error."""

    code = "INVALID_INPUT"
    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(ServiceError):
    code = "INVALID_INPUT"
    status = 400


class NotFound(ServiceError):
    code = "NOT_FOUND"
    status = 404


class Conflict(ServiceError):
    code = "CONFLICT"
    status = 409


# --- helpers ----------------------------------------------------------------------------------


def _content_root() -> Path:
    return Path(settings.GUIDES_CONTENT_ROOT)


@contextmanager
def _queue_lock() -> Any:
    """A transaction in which queue decisions (overlap, promotion) are made one at a time."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_QUEUE_LOCK_KEY])
        # On SQLite the IMMEDIATE transaction already holds the database's write lock.
        yield


def _get(processing_id: object) -> Execution:
    try:
        key = uuid.UUID(str(processing_id))
    except ValueError:
        raise NotFound(f"No execution has the processingId {processing_id!r}.") from None
    try:
        return Execution.objects.get(processing_id=key)
    except Execution.DoesNotExist:
        raise NotFound(f"No execution has the processingId {processing_id}.") from None


def execution_get(*, processing_id: object) -> Execution:
    """The execution with this processingId, or NotFound."""
    return _get(processing_id)


# --- creating and queueing --------------------------------------------------------------------


@dataclass(frozen=True)
class ProcessingRequest:
    path: str
    excluded_paths: tuple[str, ...]
    file_types: tuple[str, ...]
    filter_processed_assets: bool
    modified_after: datetime | None
    modified_before: datetime | None


def _epoch_ms(value: object, field: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a time in epoch milliseconds.", field=field)
    try:
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise InvalidInput(
            f"{field}={value} is not a valid time in epoch milliseconds.", field=field
        ) from None


def _validate(
    *,
    path: object,
    excluded_paths: Iterable[object],
    file_types: Iterable[object],
    filter_processed_assets: bool,
    start_time: object,
    end_time: object,
    processing_type: object,
) -> ProcessingRequest:
    if processing_type != PROCESSING_TYPE:
        raise InvalidInput(
            f"type must be {PROCESSING_TYPE!r}, not {processing_type!r}.", field="type"
        )
    root = _content_root()
    try:
        vpath = content.normalize_path(path, field="path")
        content.resolve_folder(root, vpath, field="path")
    except content.ContentPathError as exc:
        raise InvalidInput(str(exc), field=exc.field) from None
    excluded: list[str] = []
    for index, raw in enumerate(excluded_paths):
        field = f"excludedPaths[{index}]"
        try:
            vexcluded = content.normalize_path(raw, field=field)
        except content.ContentPathError as exc:
            raise InvalidInput(str(exc), field=field) from None
        if vexcluded == vpath or not content.is_within(vexcluded, vpath):
            raise InvalidInput(
                f"{field}: {vexcluded} is not a folder inside {vpath}; only sub-folders of the "
                "processed folder can be excluded.",
                field=field,
            )
        try:
            content.resolve_folder(root, vexcluded, field=field)
        except content.ContentPathError as exc:
            raise InvalidInput(str(exc), field=field) from None
        if vexcluded not in excluded:
            excluded.append(vexcluded)
    types: list[str] = []
    for index, raw in enumerate(file_types):
        name = str(raw).strip().upper() if isinstance(raw, str) else raw
        if name not in processing.ASSET_TYPES:
            raise InvalidInput(
                f"filter.fileTypes[{index}]: {raw!r} is not an asset type; use any of "
                + ", ".join(processing.ASSET_TYPES)
                + ".",
                field="filter.fileTypes",
            )
        if name not in types:
            types.append(str(name))
    after = _epoch_ms(start_time, "filter.startTime")
    before = _epoch_ms(end_time, "filter.endTime")
    if after and before and after > before:
        raise InvalidInput(
            "filter.startTime is later than filter.endTime.", field="filter.startTime"
        )
    return ProcessingRequest(
        path=vpath,
        excluded_paths=tuple(excluded),
        file_types=tuple(types),
        filter_processed_assets=bool(filter_processed_assets),
        modified_after=after,
        modified_before=before,
    )


def _refuse_overlap(path: str, *, ignore: int | None = None) -> None:
    active = Execution.objects.filter(status__in=ACTIVE_STATUSES)
    if ignore is not None:
        active = active.exclude(pk=ignore)
    for other in active.only("processing_id", "path", "status"):
        if content.paths_overlap(path, other.path):
            raise Conflict(
                f"{path} overlaps execution {other.processing_id} on {other.path}, which is "
                f"{other.get_status_display().lower()}. Wait for it to finish or cancel it first."
            )


def execution_create(
    *,
    path: object,
    created_by: str,
    excluded_paths: Iterable[object] = (),
    file_types: Iterable[object] = (),
    filter_processed_assets: bool = False,
    start_time: object = None,
    end_time: object = None,
    processing_type: object = PROCESSING_TYPE,
    restarted_from: Execution | None = None,
) -> Execution:
    """Queue a new execution and return it.

    Raises InvalidInput for a path, exclusion, type or filter that is not acceptable, and Conflict
    when the path overlaps a waiting or running execution.
    """
    request = _validate(
        path=path,
        excluded_paths=excluded_paths,
        file_types=file_types,
        filter_processed_assets=filter_processed_assets,
        start_time=start_time,
        end_time=end_time,
        processing_type=processing_type,
    )
    now = timezone.now()
    with _queue_lock():
        _refuse_overlap(request.path)
        execution = Execution.objects.create(
            path=request.path,
            created_by=created_by,
            file_types=list(request.file_types),
            filter_processed_assets=request.filter_processed_assets,
            modified_after=request.modified_after,
            modified_before=request.modified_before,
            restarted_from=restarted_from,
        )
        ExcludedFolder.objects.bulk_create(
            ExcludedFolder(execution=execution, path=excluded)
            for excluded in request.excluded_paths
        )
        lines = [(INFO, f"Execution created by {created_by} for {request.path}.")]
        if request.excluded_paths:
            lines.append((INFO, "Excluded folders: " + ", ".join(request.excluded_paths) + "."))
        if restarted_from is not None:
            lines.append((INFO, f"Restart of execution {restarted_from.processing_id}."))
        writes.append_log(execution_id=execution.pk, lines=lines, now=now)
        _start_waiting_locked(now)
    execution.refresh_from_db()
    return execution


def executions_start_waiting() -> None:
    """Start queued executions while fewer than GUIDES_MAX_RUNNING run."""
    with _queue_lock():
        _start_waiting_locked(timezone.now())


def _start_waiting_locked(now: datetime) -> None:
    running = Execution.objects.filter(status__in=RUNNING_STATUSES).count()
    free = settings.GUIDES_MAX_RUNNING - running
    if free <= 0:
        return
    waiting = Execution.objects.filter(status=ExecutionStatus.WAITING).order_by("id")
    for execution_id in list(waiting.values_list("pk", flat=True)[:free]):
        _begin(execution_id, now)


def _begin(execution_id: int, now: datetime) -> None:
    started = Execution.objects.filter(
        pk=execution_id, status__in=sources_of(ExecutionStatus.IN_PROGRESS)
    ).update(
        status=ExecutionStatus.IN_PROGRESS,
        started_at=Coalesce(F("started_at"), Value(now, output_field=DateTimeField())),
        completed_at=None,
        heartbeat_at=now,
        segment_started_at=now,
        segment_start_count=F("processed_count") + F("failed_count") + F("skipped_count"),
    )
    if started != 1:
        return
    ExecutionSlot.objects.bulk_create(
        [
            ExecutionSlot(execution_id=execution_id, number=number)
            for number in range(settings.GUIDES_PARALLEL_TASKS)
        ],
        ignore_conflicts=True,
    )
    slots = ExecutionSlot.objects.filter(execution_id=execution_id)
    slots.update(generation=F("generation") + 1, heartbeat_at=now)
    writes.append_log(execution_id=execution_id, lines=[(INFO, "Processing started.")], now=now)
    for number, generation in slots.values_list("number", "generation"):
        _enqueue_slot(execution_id, number, generation)


def _enqueue_slot(execution_id: int, slot: int, generation: int) -> None:
    def send() -> None:
        async_task(
            "guides_processor.tasks.run_slot",
            execution_id,
            slot,
            generation,
            task_name=f"execution-{execution_id}-slot-{slot}-{generation}-{uuid.uuid4().hex[:6]}",
        )

    transaction.on_commit(send)


# --- cancel, resume, restart ------------------------------------------------------------------


def execution_cancel(*, processing_id: object, by: str) -> Execution:
    """Cancel a waiting execution at once, or ask a running one to stop.

    A running execution becomes CANCELLING; its workers stop between assets and the last one marks
    it CANCELLED. Raises NotFound, or Conflict when it is already finished or cancelling.
    """
    execution = _get(processing_id)
    now = timezone.now()
    with transaction.atomic():
        if Execution.objects.filter(pk=execution.pk, status=ExecutionStatus.WAITING).update(
            status=ExecutionStatus.CANCELLED,
            completed_at=now,
            comments=f"Cancelled by {by} before it started.",
        ):
            writes.append_log(
                execution_id=execution.pk,
                lines=[(INFO, f"Cancelled by {by} while waiting.")],
                now=now,
            )
        elif Execution.objects.filter(pk=execution.pk, status=ExecutionStatus.IN_PROGRESS).update(
            status=ExecutionStatus.CANCELLING
        ):
            writes.append_log(
                execution_id=execution.pk, lines=[(INFO, f"Cancel requested by {by}.")], now=now
            )
        else:
            execution.refresh_from_db()
            raise Conflict(
                f"Execution {execution.processing_id} is {execution.get_status_display().lower()}; "
                "only waiting or running executions can be cancelled."
            )
    if not _any_slot_alive(execution.pk, now):
        # Nobody is working on it (no cluster running): there is no one to stop, so stop it here.
        _cancel_complete(execution.pk, force=True)
    execution.refresh_from_db()
    return execution


def execution_cancel_abandoned(*, processing_id: object, by: str) -> Execution:
    """Cancel an execution whose only worker was this process and has just been stopped (the
    command line's in-process run, interrupted): it is CANCELLED at once, its leases released,
    so that resume continues it. Raises NotFound, or Conflict when it is already finished.
    """
    execution = execution_cancel(processing_id=processing_id, by=by)
    if execution.status == ExecutionStatus.CANCELLING:
        # This process's slot still looks alive (it beat a moment ago), but it works no more.
        _cancel_complete(execution.pk, force=True)
        execution.refresh_from_db()
    return execution


def _any_slot_alive(execution_id: int, now: datetime) -> bool:
    fresh = now - timedelta(seconds=settings.GUIDES_STALE_SECONDS)
    return ExecutionSlot.objects.filter(execution_id=execution_id, heartbeat_at__gte=fresh).exists()


class _StillWriting(Exception):
    """A slot still holds a leased batch: the cancel is completed once it has written it."""


def _cancel_complete(execution_id: int, *, force: bool) -> None:
    """Make a CANCELLING execution CANCELLED, once no slot holds a batch it may still write.

    Called by each slot between batches (``force`` false): while another slot holds live leases
    it leaves the cancel to the last of them, so that no result is written after CANCELLED and
    the summary's counts are final. With ``force`` (nobody is alive to write: the cancel of an
    execution without workers, the watchdog, an interrupted in-process run) the leases are
    released instead; a late writer then finds nothing it owns and writes nothing.
    """
    now = timezone.now()
    try:
        with _queue_lock():
            # The status UPDATE comes first: it waits for claims in flight (they read the status
            # under a shared lock), so every lease taken before it is seen below.
            done = Execution.objects.filter(
                pk=execution_id, status=ExecutionStatus.CANCELLING
            ).update(
                status=ExecutionStatus.CANCELLED,
                completed_at=now,
                calculation_status=Case(
                    When(
                        calculation_status=CalculationStatus.IN_PROGRESS,
                        then=Value(CalculationStatus.WAITING),
                    ),
                    default=F("calculation_status"),
                ),
            )
            if done:
                leased = ExecutionItem.objects.filter(
                    execution_id=execution_id, state=ItemState.PENDING
                ).exclude(lease_owner="")
                if not force and leased.filter(lease_expires_at__gte=now).exists():
                    raise _StillWriting()
                leased.update(lease_owner="", lease_expires_at=None)
                execution = Execution.objects.get(pk=execution_id)
                remaining = ExecutionItem.objects.filter(
                    execution_id=execution_id, state=ItemState.PENDING
                ).count()
                summary = (
                    f"Cancelled after {execution.triggered_count} of {execution.total_files} "
                    f"assets; {remaining} remain"
                    + (
                        ""
                        if execution.calculation_status == CalculationStatus.SUCCESS
                        else " (the folder walk was not finished)"
                    )
                    + ". Resume continues with them."
                )
                Execution.objects.filter(pk=execution_id).update(comments=summary)
                writes.append_log(execution_id=execution_id, lines=[(INFO, summary)], now=now)
            _start_waiting_locked(now)
    except _StillWriting:
        return


def execution_resume(*, processing_id: object, by: str) -> Execution:
    """Queue a cancelled or failed execution again; it continues with the items still pending.

    Raises NotFound, or Conflict when it is not cancelled or failed, or when its path now overlaps
    another active execution.
    """
    execution = _get(processing_id)
    now = timezone.now()
    with _queue_lock():
        execution.refresh_from_db()
        if execution.status not in sources_of(ExecutionStatus.WAITING):
            raise Conflict(
                f"Execution {execution.processing_id} is {execution.get_status_display().lower()}; "
                "only cancelled or failed executions can be resumed."
            )
        try:
            content.resolve_folder(_content_root(), execution.path)
        except content.ContentPathError as exc:
            # Resuming would only fail again at once: say why now, and change nothing.
            raise Conflict(
                f"Execution {execution.processing_id} cannot be resumed: its folder is missing "
                f"or unusable ({exc.message}). Put the folder back, then resume."
            ) from None
        _refuse_overlap(execution.path, ignore=execution.pk)
        resumed = Execution.objects.filter(
            pk=execution.pk, status__in=sources_of(ExecutionStatus.WAITING)
        ).update(status=ExecutionStatus.WAITING, completed_at=None, comments="")
        if not resumed:
            execution.refresh_from_db()
            raise Conflict(
                f"Execution {execution.processing_id} is {execution.get_status_display().lower()}; "
                "only cancelled or failed executions can be resumed."
            )
        lines = []
        retried = _retry_missing(execution.pk, only_present=True)
        if retried:
            lines.append(
                (INFO, f"{_plural(retried, 'asset')} reported missing before are back; retried.")
            )
        remaining = ExecutionItem.objects.filter(
            execution=execution, state=ItemState.PENDING
        ).count()
        lines.append((INFO, f"Resumed by {by}; {remaining} assets remain in the manifest."))
        writes.append_log(execution_id=execution.pk, lines=lines, now=now)
        _start_waiting_locked(now)
    execution.refresh_from_db()
    return execution


def _retry_missing(execution_id: int, *, only_present: bool) -> int:
    """Make items that failed only because their file was missing pending again; return how many.

    A folder being removed (``rm -rf``) deletes its files before the folder itself, so the
    batches processed meanwhile find them missing: that is the folder's fate, not the assets'.
    With ``only_present``, only the items whose file is there again.
    """
    missing = ExecutionItem.objects.filter(
        execution_id=execution_id, state=ItemState.FAILED, error=processing.NOT_FOUND
    )
    ids = list(missing.values_list("pk", "relpath"))
    if only_present:
        root = _content_root()
        ids = [(pk, relpath) for pk, relpath in ids if (root / relpath).is_file()]
    if not ids:
        return 0
    count = ExecutionItem.objects.filter(
        pk__in=[pk for pk, _ in ids], state=ItemState.FAILED
    ).update(state=ItemState.PENDING, error="", finished_at=None, lease_owner="")
    Execution.objects.filter(pk=execution_id).update(failed_count=F("failed_count") - count)
    return count


def execution_restart(*, processing_id: object, by: str) -> Execution:
    """A new execution with the path, exclusions and filter of a finished one, linked to it.

    Raises NotFound, Conflict when the execution is still active or the path overlaps another
    active execution, and InvalidInput when its folder no longer exists.
    """
    original = _get(processing_id)
    if original.status not in FINISHED_STATUSES:
        raise Conflict(
            f"Execution {original.processing_id} is {original.get_status_display().lower()}; "
            "only finished executions can be restarted (cancel it first)."
        )
    return execution_create(
        path=original.path,
        created_by=by,
        excluded_paths=list(original.excluded.values_list("path", flat=True)),
        file_types=original.file_types,
        filter_processed_assets=original.filter_processed_assets,
        start_time=_to_epoch_ms(original.modified_after),
        end_time=_to_epoch_ms(original.modified_before),
        restarted_from=original,
    )


def _to_epoch_ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def execution_fail(*, execution_id: int, reason: str, folder_gone: bool = False) -> None:
    """Mark a running execution FAILED: the job itself cannot go on. Resume can continue it.

    ``reason`` is kept in ``comments``, which the status object shows. With ``folder_gone`` (the
    execution's folder disappeared) the assets that batches found missing meanwhile are not
    blamed: they are pending again, for resume once the folder is back.
    """
    now = timezone.now()
    with _queue_lock():
        failed = Execution.objects.filter(
            pk=execution_id, status__in=sources_of(ExecutionStatus.FAILED)
        ).update(status=ExecutionStatus.FAILED, completed_at=now, comments=reason)
        if failed:
            ExecutionItem.objects.filter(
                execution_id=execution_id, state=ItemState.PENDING
            ).exclude(lease_owner="").update(lease_owner="", lease_expires_at=None)
            lines = [(ERROR, f"Execution failed: {reason}")]
            if folder_gone:
                unblamed = _retry_missing(execution_id, only_present=False)
                if unblamed:
                    lines.append(
                        (
                            INFO,
                            f"{_plural(unblamed, 'asset')} found missing while the folder was "
                            "being removed are pending again; resume retries them.",
                        )
                    )
            writes.append_log(execution_id=execution_id, lines=lines, now=now)
            logger.error("execution %s failed: %s", execution_id, reason)
        _start_waiting_locked(now)


# --- the watchdog -----------------------------------------------------------------------------


def executions_recover(*, now: datetime | None = None) -> int:
    """Re-enqueue the slots of running executions whose heartbeat is stale; returns how many.

    Also completes a cancel that no live worker is left to complete, finishes an execution whose
    last batch was written but not finished, and starts waiting executions when slots are free.
    """
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.GUIDES_STALE_SECONDS)
    recovered = 0
    for execution in Execution.objects.filter(status__in=RUNNING_STATUSES):
        if execution.status == ExecutionStatus.CANCELLING:
            if not _any_slot_alive(execution.pk, now):
                _cancel_complete(execution.pk, force=True)
            continue
        if _finish_if_complete(execution.pk):
            continue
        recovered += _requeue_silent_slots(execution.pk, now=now, stale_before=stale_before)
    executions_start_waiting()
    return recovered


def _requeue_silent_slots(execution_id: int, *, now: datetime, stale_before: datetime) -> int:
    """Give each slot of the execution that went silent a new generation and enqueue it.

    Compare-and-swap on the generation, so that the watchdog and the execution's own live tasks,
    which all look, re-enqueue a silent slot once.
    """
    requeued = 0
    stale = ExecutionSlot.objects.filter(
        Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=stale_before), execution_id=execution_id
    )
    for slot in list(stale):
        with transaction.atomic():
            taken = ExecutionSlot.objects.filter(pk=slot.pk, generation=slot.generation).update(
                generation=F("generation") + 1, heartbeat_at=now
            )
            if not taken:
                continue
            silent = int((now - slot.heartbeat_at).total_seconds()) if slot.heartbeat_at else 0
            message = (
                f"Worker slot {slot.number} was silent for {silent} s; its work was queued again."
            )
            writes.append_log(execution_id=execution_id, lines=[(WARN, message)], now=now)
            _enqueue_slot(execution_id, slot.number, slot.generation + 1)
            requeued += 1
    return requeued


# --- the work of one slot ---------------------------------------------------------------------

CONTINUE = "continue"
STOP = "stop"


def execution_work(
    *,
    execution_id: int,
    slot: int,
    generation: int,
    seconds: float | None = None,
    enqueue_continuation: bool = True,
) -> str:
    """Work on an execution for at most ``seconds`` as slot ``slot``; return CONTINUE or STOP.

    CONTINUE means there may be more to do: the continuation is enqueued unless
    ``enqueue_continuation`` is false (the in-process runner loops instead). Errors of the
    database are retried for as long as the time budget lasts; after that the slot goes silent
    and the watchdog enqueues it again. Any other error fails the execution with its reason.
    """
    budget = settings.GUIDES_TASK_SECONDS if seconds is None else seconds
    worker = _SlotWorker(execution_id, slot, generation, time.monotonic() + budget)
    try:
        outcome = worker.run()
    except _Superseded:
        return STOP
    except _TRANSIENT:
        logger.exception(
            "execution %s slot %s: database unavailable; the watchdog will retry",
            execution_id,
            slot,
        )
        connection.close()
        return STOP
    except Exception as exc:  # a bug, or the machine in a state we cannot handle: say so
        logger.exception("execution %s slot %s failed", execution_id, slot)
        connection.close()
        execution_fail(
            execution_id=execution_id, reason=f"internal error: {type(exc).__name__}: {exc}"
        )
        return STOP
    if outcome == CONTINUE and enqueue_continuation:
        _enqueue_slot(execution_id, slot, generation)
    return outcome


# Errors of a database that went away or stayed locked: worth trying again later.
_TRANSIENT = (OperationalError, InterfaceError)


class _Superseded(Exception):
    """This task's slot was taken over (the watchdog gave it a new generation)."""


@dataclass
class _Claimed:
    item_id: int
    relpath: str


class _SlotWorker:
    def __init__(self, execution_id: int, slot: int, generation: int, deadline: float) -> None:
        self.execution_id = execution_id
        self.slot = slot
        self.generation = generation
        self.deadline = deadline
        self.owner = f"{socket.gethostname()[:30]}:{os.getpid()}:{slot}:{uuid.uuid4().hex[:8]}"
        self.execution = Execution.objects.get(pk=execution_id)
        self.root = _content_root()
        self.relfolder = content.to_relpath(self.execution.path)
        self._last_status_check = 0.0
        self._last_sibling_check = 0.0
        self._claim_cursor = 0
        self._status = self.execution.status

    # The loop ---------------------------------------------------------------------------------

    def run(self) -> str:
        failures = 0
        while True:
            try:
                return self._run()
            except _TRANSIENT:
                # The database restarted or was busy for too long. Whatever this task had claimed
                # and not written stays leased and is reclaimed when the lease expires.
                failures += 1
                if failures > 5 or time.monotonic() >= self.deadline:
                    raise
                logger.warning(
                    "execution %s: database error, retrying", self.execution_id, exc_info=True
                )
                connection.close()
                time.sleep(min(2**failures, 10))

    def _run(self) -> str:
        # Each round proves this task alive (and its slot still its own) in the transaction it
        # writes anyway: the claim, the manifest chunk, or the heartbeat before it waits.
        while True:
            status = self._read_status(force=True)
            if status == ExecutionStatus.CANCELLING:
                _cancel_complete(self.execution_id, force=False)
                return STOP
            if status != ExecutionStatus.IN_PROGRESS:
                return STOP
            if self.slot == 0 and self._calculation_status() != CalculationStatus.SUCCESS:
                self._calculate()
                self._refresh_statistics(force=True)
                if time.monotonic() >= self.deadline:
                    return CONTINUE
                continue  # processing, or (when cancelled or failed) the next round sees it
            batch = self._claim()
            if self._status != ExecutionStatus.IN_PROGRESS:
                continue  # cancelled or failed meanwhile: the next round acts on it
            if batch:
                self._process(batch)
                self._requeue_silent_siblings()
                self._refresh_statistics()
                if time.monotonic() >= self.deadline:
                    return CONTINUE
                continue
            if _finish_if_complete(self.execution_id):
                return STOP
            self._requeue_silent_siblings()
            if time.monotonic() >= self.deadline:
                return CONTINUE
            # Others hold the remaining items, or the calculation is still writing the manifest:
            # wait for them (a lease of a dead worker expires and is claimed here).
            self._beat()
            time.sleep(_IDLE_SLEEP_SECONDS)

    def _requeue_silent_siblings(self) -> None:
        """Re-enqueue slots of this execution that went silent (their worker died), at most every
        few seconds: live tasks notice a dead sibling long before the scheduled watchdog runs."""
        now = time.monotonic()
        if now - self._last_sibling_check < _SIBLING_CHECK_SECONDS:
            return
        self._last_sibling_check = now
        moment = timezone.now()
        stale_before = moment - timedelta(seconds=settings.GUIDES_STALE_SECONDS)
        _requeue_silent_slots(self.execution_id, now=moment, stale_before=stale_before)

    def _refresh_statistics(self, *, force: bool = False) -> None:
        """Slot 0 keeps the planner's statistics of the growing tables current (PostgreSQL)."""
        if self.slot == 0:
            writes.refresh_statistics(every=0 if force else _STATISTICS_SECONDS)

    def _beat(self) -> None:
        if not writes.beat_slot(
            execution_id=self.execution_id,
            slot=self.slot,
            generation=self.generation,
            now=timezone.now(),
        ):
            raise _Superseded()

    def _read_status(self, *, force: bool = False) -> str:
        now = time.monotonic()
        if force or now - self._last_status_check >= _CANCEL_POLL_SECONDS:
            self._last_status_check = now
            self._status = (
                Execution.objects.filter(pk=self.execution_id)
                .values_list("status", flat=True)
                .get()
            )
        return self._status

    def _calculation_status(self) -> str:
        return (
            Execution.objects.filter(pk=self.execution_id)
            .values_list("calculation_status", flat=True)
            .get()
        )

    # The calculation --------------------------------------------------------------------------

    def _calculate(self) -> bool:
        """Walk the folder into the manifest until done (True) or out of time or cancelled."""
        execution = Execution.objects.get(pk=self.execution_id)
        now = timezone.now()
        try:
            content.resolve_folder(self.root, execution.path)
        except content.ContentPathError as exc:
            execution_fail(
                execution_id=self.execution_id,
                reason=f"the folder cannot be processed: {exc.message}",
                folder_gone=True,
            )
            return False
        if execution.calculation_status != CalculationStatus.IN_PROGRESS:
            with transaction.atomic():
                Execution.objects.filter(pk=self.execution_id).update(
                    calculation_status=CalculationStatus.IN_PROGRESS
                )
                if not execution.walk_cursor:
                    writes.append_log(
                        execution_id=self.execution_id,
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
            self.root, self.relfolder, excluded=excluded, after=after, with_mtime=with_mtime
        )
        chunk: list[content.WalkEntry] = []
        filtered = bool(types) or with_mtime
        for walked, entry in enumerate(entries, start=1):
            if not filtered or entry.problem or self._wanted(entry, types, window):
                chunk.append(entry)
            if len(chunk) >= _CALCULATION_CHUNK or walked % _CALCULATION_CHUNK == 0:
                # Everything up to this entry's cursor is now in the manifest (or filtered out).
                self._write_manifest(chunk, entry.cursor)
                chunk = []
                if (
                    time.monotonic() >= self.deadline
                    or self._read_status() != ExecutionStatus.IN_PROGRESS
                ):
                    return False
        self._write_manifest(chunk, None, done=True)
        return True

    def _wanted(
        self,
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
            head = None
            if entry.relpath.lower().endswith(".xml"):
                try:
                    with open(self.root / entry.relpath, "rb") as handle:
                        head = handle.read(4096)
                except OSError:
                    return True  # processing will report why it cannot be read
            return processing.detect_type(entry.relpath, head) in types
        return True

    def _write_manifest(
        self, chunk: list[content.WalkEntry], cursor: bytes | None, *, done: bool = False
    ) -> None:
        now = timezone.now()
        pending = [entry.relpath for entry in chunk if not entry.problem]
        skipped = [(entry.relpath, entry.problem) for entry in chunk if entry.problem]
        problems = [
            (WARN, f"Skipped {content.to_virtual(relpath)}: {problem}.")
            for relpath, problem in skipped
        ]
        with transaction.atomic():
            writes.commit_without_waiting()
            self._beat()
            if self._read_status(force=True) != ExecutionStatus.IN_PROGRESS:
                return
            writes.add_items(
                execution_id=self.execution_id, pending=pending, skipped=skipped, now=now
            )
            updates: dict[str, Any] = {"total_files": F("total_files") + len(chunk)}
            if cursor is not None:
                updates["walk_cursor"] = cursor.hex()
            if done:
                updates["calculation_status"] = CalculationStatus.SUCCESS
            Execution.objects.filter(pk=self.execution_id).update(**updates)
            lines = list(problems)
            if done:
                total = (
                    Execution.objects.filter(pk=self.execution_id)
                    .values_list("total_files", flat=True)
                    .get()
                )
                lines.append((INFO, f"Calculation done: {total} assets to process."))
            writes.append_log(
                execution_id=self.execution_id,
                lines=lines,
                now=now,
                counters={"skipped_count": len(problems)},
            )

    # Processing -------------------------------------------------------------------------------

    def _claim(self) -> list[_Claimed]:
        now = timezone.now()
        with transaction.atomic():
            writes.commit_without_waiting()
            self._beat()
            # Read under a shared lock: a cancel's completion waits for this claim, and a claim
            # after it sees the new status and takes nothing.
            self._status = writes.execution_status_for_claim(execution_id=self.execution_id)
            self._last_status_check = time.monotonic()
            if self._status != ExecutionStatus.IN_PROGRESS:
                return []
            rows = writes.claim_batch(
                execution_id=self.execution_id,
                owner=self.owner,
                now=now,
                expires=now + timedelta(seconds=settings.GUIDES_LEASE_SECONDS),
                limit=settings.GUIDES_BATCH_SIZE,
                after=self._claim_cursor,
            )
        if rows:
            self._claim_cursor = rows[-1][0]
        return [_Claimed(item_id, relpath) for item_id, relpath in rows]

    def _process(self, batch: list[_Claimed]) -> None:
        execution = self.execution
        previous: dict[str, processing.Fingerprint] = {}
        if execution.filter_processed_assets:
            for relpath, size, mtime, checksum in Asset.objects.filter(
                relpath__in=[item.relpath for item in batch], success_checksum__gt=""
            ).values_list("relpath", "success_size", "success_mtime", "success_checksum"):
                if size is not None and mtime is not None:
                    previous[relpath] = processing.Fingerprint(size, mtime, checksum)
        results: list[tuple[_Claimed, processing.AssetResult]] = []
        max_bytes = settings.GUIDES_MAX_XML_BYTES
        stopped = False
        for item in batch:
            if self._read_status() != ExecutionStatus.IN_PROGRESS:
                stopped = True
                break
            result = processing.process(
                self.root,
                item.relpath,
                previous=previous.get(item.relpath),
                max_xml_bytes=max_bytes,
            )
            results.append((item, result))
        vanished = any(r.error == processing.NOT_FOUND for _, r in results)
        if vanished and not (self.root / self.relfolder).is_dir():
            self._release(batch)
            execution_fail(
                execution_id=self.execution_id,
                reason=f"the folder {execution.path} no longer exists under the content root.",
                folder_gone=True,
            )
            return
        done_ids = {item.item_id for item, _ in results}
        leftover = [item for item in batch if item.item_id not in done_ids] if stopped else []
        self._write(results, leftover)

    def _release(self, items: list[_Claimed]) -> None:
        writes.release(ids=[item.item_id for item in items], owner=self.owner)

    def _write(
        self, results: list[tuple[_Claimed, processing.AssetResult]], leftover: list[_Claimed]
    ) -> None:
        """Write one batch's outcome in one transaction: only for items this task still owns."""
        for attempt in range(5):
            try:
                with transaction.atomic():
                    writes.commit_without_waiting()
                    self._beat()
                    _write_results(self.execution_id, self.owner, results)
                    if leftover:
                        self._release(leftover)
                return
            except _Superseded:
                raise
            except _TRANSIENT:
                # The database went away (restart, failover) or was locked for too long: keep the
                # results in memory and try again while the lease still holds them for us.
                if (
                    attempt == 4
                    or time.monotonic() >= self.deadline + settings.GUIDES_LEASE_SECONDS / 2
                ):
                    raise
                logger.warning(
                    "execution %s: writing a batch failed, retrying",
                    self.execution_id,
                    exc_info=True,
                )
                connection.close()
                time.sleep(1 + attempt * 2)


def _write_results(
    execution_id: int, owner: str, results: list[tuple[_Claimed, processing.AssetResult]]
) -> None:
    """The batch transaction: assets, references, key definitions, items, log lines, counters.

    Only items still leased by ``owner`` are written: a batch whose lease expired and was taken
    over by another worker is that worker's to write, so every item is final exactly once.
    """
    if not results:
        return
    now = timezone.now()
    owned = writes.owned_items(ids=[item.item_id for item, _ in results], owner=owner)
    mine = [(item.item_id, result) for item, result in results if item.item_id in owned]
    if not mine:
        return
    writes.write_results(results=mine, now=now)
    counts = {processing.SUCCESS: 0, processing.FAILURE: 0, processing.SKIPPED: 0}
    lines: list[tuple[str, str]] = []
    broken = 0
    for _, result in mine:
        counts[result.status] += 1
        lines.extend(_log_lines(result))
        if result.status == processing.SUCCESS:
            broken += result.broken_count
    writes.append_log(
        execution_id=execution_id,
        lines=lines,
        now=now,
        counters={
            "processed_count": counts[processing.SUCCESS],
            "failed_count": counts[processing.FAILURE],
            "skipped_count": counts[processing.SKIPPED],
            "broken_reference_count": broken,
        },
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


# Broken references named in an asset's log line; the rest are counted (the execution's report
# lists every one of them).
_BROKEN_NAMED = 3


def _log_lines(result: processing.AssetResult) -> list[tuple[str, str]]:
    """One line per asset, whatever it holds: a file with a million references must not make a
    million log lines."""
    where = content.to_virtual(result.relpath)
    if result.status == processing.FAILURE:
        return [(ERROR, f"Failed {where} ({result.asset_type}): {result.error}")]
    if result.status == processing.SKIPPED:
        return [(INFO, f"Skipped {where}: {result.error}.")]
    refs = len(result.references)
    broken = [ref for ref in result.references if ref.broken]
    title = f' "{result.title}"' if result.title else ""
    summary = (
        f"Processed {where} ({result.asset_type}{title}): "
        f"{refs:,} reference{'' if refs == 1 else 's'}"
    )
    if not broken:
        return [(INFO, summary + ".")]
    named = [
        f'{ref.attribute}="{ref.value}"' + (f" line {ref.line}" if ref.line else "")
        for ref in broken[:_BROKEN_NAMED]
    ]
    more = len(broken) - len(named)
    listing = ", ".join(named) + (f" and {more:,} more" if more else "")
    return [(WARN, f"{summary}, {len(broken):,} broken: {listing}.")]


# --- finishing --------------------------------------------------------------------------------


def _finish_if_complete(execution_id: int) -> bool:
    """Finish the execution when its manifest is complete and every item is final.

    Returns True when the execution is finished (now, or already).
    """

    def complete() -> bool | None:
        state = (
            Execution.objects.filter(pk=execution_id)
            .values_list("status", "calculation_status")
            .first()
        )
        if state is None or state[0] not in RUNNING_STATUSES:
            return True
        if state[1] != CalculationStatus.SUCCESS:
            return False
        if ExecutionItem.objects.filter(
            execution_id=execution_id, state=ItemState.PENDING
        ).exists():
            return False
        return None

    # Look first without a transaction: this is asked often, and usually the answer is no.
    answer = complete()
    if answer is not None:
        return answer
    # The queue lock comes first, as everywhere, so that no two transactions wait on each other.
    with _queue_lock():
        answer = complete()
        if answer is not None:
            return answer
        now = timezone.now()
        # Claim the right to finish before the key pass, so that it runs once.
        if not Execution.objects.filter(pk=execution_id, status__in=RUNNING_STATUSES).update(
            status=ExecutionStatus.SUCCESS, completed_at=now
        ):
            return True
        undefined = _resolve_keys(execution_id)
        execution = Execution.objects.get(pk=execution_id)
        broken = _broken_reference_count(execution_id)
        seconds = max((now - (execution.started_at or now)).total_seconds(), 0.001)
        comments = (
            f"{execution.processed_count} processed, {execution.failed_count} failed, "
            f"{execution.skipped_count} skipped; {_plural(broken, 'broken reference')}."
        )
        Execution.objects.filter(pk=execution_id).update(
            broken_reference_count=broken, comments=comments
        )
        lines = [
            (
                WARN,
                f'Undefined key "{key}": {_plural(count, "reference")}, '
                f"first in {content.to_virtual(first)}.",
            )
            for key, count, first in undefined[:_KEY_LOG_LIMIT]
        ]
        if len(undefined) > _KEY_LOG_LIMIT:
            lines.append((WARN, f"... and {len(undefined) - _KEY_LOG_LIMIT} more undefined keys."))
        rate = execution.triggered_count / seconds
        lines.append(
            (INFO, f"Execution completed in {seconds:.1f} s ({rate:.0f} assets/s): {comments}")
        )
        writes.append_log(execution_id=execution_id, lines=lines, now=now)
        _start_waiting_locked(now)
    return True


def _in_execution_sql() -> str:
    return (
        f"SELECT {writes.columns('asset_id')} FROM {writes.table(ExecutionItem)} "
        f"WHERE {writes.columns('execution_id')} = %s AND {writes.columns('state')} = %s "
        f"AND {writes.columns('asset_id')} IS NOT NULL"
    )


def _resolve_keys(execution_id: int) -> list[tuple[str, int, str]]:
    """Mark key references of this execution's assets broken where no map defines the key.

    Returns (key, references, first asset) for every undefined key, sorted by key.
    """
    ref, keydef, asset = writes.table(Reference), writes.table(KeyDefinition), writes.table(Asset)
    key = connection.ops.quote_name("key")
    with connection.cursor() as cursor:
        undefined = f"NOT EXISTS (SELECT 1 FROM {keydef} k WHERE k.{key} = {ref}.{key})"
        broken = writes.columns("broken")
        # Only rows whose verdict changes are written: most keys are defined, as they were.
        cursor.execute(
            f"UPDATE {ref} SET {broken} = {undefined} "
            f"WHERE {ref}.{key} <> '' AND {ref}.{broken} <> {undefined} "
            f"AND {ref}.{writes.columns('asset_id')} IN ({_in_execution_sql()})",
            [execution_id, ItemState.DONE],
        )
        cursor.execute(
            f"SELECT r.{key}, COUNT(*), MIN(a.{writes.columns('relpath')}) FROM {ref} r "
            f"JOIN {asset} a ON a.{writes.columns('id')} = r.{writes.columns('asset_id')} "
            f"WHERE r.{writes.columns('broken')} AND r.{key} <> '' "
            f"AND r.{writes.columns('asset_id')} IN ({_in_execution_sql()}) "
            f"GROUP BY r.{key} ORDER BY r.{key}",
            [execution_id, ItemState.DONE],
        )
        return [(name, count, first) for name, count, first in cursor.fetchall()]


def _broken_reference_count(execution_id: int) -> int:
    ref = writes.table(Reference)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {ref} WHERE {writes.columns('broken')} "
            f"AND {writes.columns('asset_id')} IN ({_in_execution_sql()})",
            [execution_id, ItemState.DONE],
        )
        return int(cursor.fetchone()[0])


# --- running without a cluster ----------------------------------------------------------------


def execution_run_inline(
    *, processing_id: object, on_progress: Callable[[Execution], None] | None = None
) -> Execution:
    """Process queued and running executions in this process until this one is finished.

    For the command line when no cluster is running. It takes slot 0 of whichever execution is
    running (a cluster's queued task for that slot, if one appears later, stops at once), and works
    through the queue in order, so ``GUIDES_MAX_RUNNING`` still holds.
    """
    target = _get(processing_id)
    while True:
        target.refresh_from_db()
        if on_progress:
            on_progress(target)
        if target.status in FINISHED_STATUSES:
            return target
        executions_start_waiting()
        running = Execution.objects.filter(status__in=RUNNING_STATUSES).order_by("id").first()
        if running is None:
            time.sleep(_IDLE_SLEEP_SECONDS)
            continue
        execution_work(
            execution_id=running.pk,
            slot=0,
            generation=_take_slot(running.pk, 0),
            seconds=1.0,
            enqueue_continuation=False,
        )


def _take_slot(execution_id: int, number: int) -> int:
    """Give a slot a new generation (its queued tasks stop) and return it, for work done here."""
    ExecutionSlot.objects.get_or_create(execution_id=execution_id, number=number)
    ExecutionSlot.objects.filter(execution_id=execution_id, number=number).update(
        generation=F("generation") + 1, heartbeat_at=timezone.now()
    )
    return ExecutionSlot.objects.get(execution_id=execution_id, number=number).generation


def execution_calculate(*, processing_id: object) -> Execution:
    """Write the whole manifest of a running execution now, in this process, and return it.

    The calculation is slot 0's first job; this takes slot 0 over to do it alone, so that it can be
    timed by itself (the benchmark). Processing is left to the slots.
    """
    execution = _get(processing_id)
    generation = _take_slot(execution.pk, 0)
    _SlotWorker(execution.pk, 0, generation, deadline=math.inf)._calculate()
    execution.refresh_from_db()
    return execution


def eta_seconds(execution: Execution, now: datetime | None = None) -> int:
    """Remaining items divided by the items per second measured since this run segment began."""
    if execution.status not in RUNNING_STATUSES or execution.segment_started_at is None:
        return 0
    now = now or timezone.now()
    done = execution.triggered_count - execution.segment_start_count
    elapsed = (now - execution.segment_started_at).total_seconds()
    remaining = max(execution.total_files - execution.triggered_count, 0)
    if done <= 0 or elapsed <= 0 or remaining == 0:
        return 0
    return math.ceil(remaining / (done / elapsed))
