"""The queue: one decision at a time (the queue lock), overlapping paths refused, WAITING
executions promoted while fewer than ``GUIDES_MAX_RUNNING`` run, and one task enqueued per slot.
"""

import logging
import uuid
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django_q.tasks import async_task

from .. import content
from ..engine import sql
from ..engine.loglines import INFO, WARN
from ..models import (
    ACTIVE_STATUSES,
    RUNNING_STATUSES,
    Execution,
    ExecutionSlot,
    ExecutionStatus,
    sources_of,
)
from .errors import Conflict

logger = logging.getLogger(__name__)


@contextmanager
def queue_lock() -> Any:
    """A transaction in which queue decisions (overlap, promotion) are made one at a time."""
    with transaction.atomic():
        # PostgreSQL takes an advisory lock; on SQLite the IMMEDIATE transaction already holds
        # the database's write lock.
        sql.lock_queue()
        yield


def refuse_overlap(paths: list[str] | tuple[str, ...], *, ignore: int | None = None) -> None:
    """Raise Conflict when one of ``paths`` overlaps a path of a waiting or running execution
    (other than ``ignore``), naming both paths and the execution."""
    active = Execution.objects.filter(status__in=ACTIVE_STATUSES)
    if ignore is not None:
        active = active.exclude(pk=ignore)
    for other in active.only("processing_id", "path", "paths", "status"):
        other_paths = content.PathSet(other.all_paths)
        for path in paths:
            other_path = other_paths.overlapping(path)
            if other_path is not None:
                raise Conflict(
                    f"{path} overlaps execution {other.processing_id} on {other_path}, which "
                    f"is {other.get_status_display().lower()}. Wait for it to finish or "
                    "cancel it first."
                )


def executions_start_waiting() -> None:
    """Start queued executions while fewer than GUIDES_MAX_RUNNING run."""
    with queue_lock():
        start_waiting_locked(timezone.now())


def start_waiting_locked(now: datetime) -> None:
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
    sql.append_log(execution_id=execution_id, lines=[(INFO, "Processing started.")], now=now)
    for number, generation in slots.values_list("number", "generation"):
        enqueue_slot(execution_id, number, generation)


# Set while this process works on executions itself (the command line's in-process run): no
# task is sent to the broker, where nothing would take it and it would be left behind.
_suppressed = False


@contextmanager
def enqueue_suppressed() -> Any:
    """Within it, this process sends no slot task: it processes the executions itself."""
    global _suppressed
    previous, _suppressed = _suppressed, True
    try:
        yield
    finally:
        _suppressed = previous


def enqueue_slot(execution_id: int, slot: int, generation: int) -> None:
    if _suppressed:
        return

    def send() -> None:
        # After the commit: the execution is created and stays so. A broker that does not
        # answer (Redis down) had made the request a 500 with the execution left running
        # behind it; the watchdog sends a silent slot's task again (GUIDES_STALE_SECONDS), so
        # the run starts once the broker answers, and its log says why it waits.
        try:
            async_task(
                "guides_processor.tasks.run_slot",
                execution_id,
                slot,
                generation,
                task_name=f"execution-{execution_id}-slot-{slot}-{generation}-"
                f"{uuid.uuid4().hex[:6]}",
            )
        except Exception as exc:  # any broker's failure: redis, the ORM's database, a socket
            logger.warning(
                "the broker did not take slot %s of execution %s: %s", slot, execution_id, exc
            )
            if slot == 0:
                line = (
                    f"The task broker did not answer ({type(exc).__name__}): the execution "
                    "waits, and starts once it answers (the watchdog sends its tasks again)."
                )
                with transaction.atomic():
                    sql.append_log(
                        execution_id=execution_id, lines=[(WARN, line)], now=timezone.now()
                    )

    transaction.on_commit(send)
