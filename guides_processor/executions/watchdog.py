"""The watchdog: slots whose heartbeat went stale are enqueued again, cancels nobody is left to
complete are completed, and executions whose last batch was written are finished.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ..engine import sql
from ..engine.loglines import WARN
from ..models import RUNNING_STATUSES, Execution, ExecutionSlot, ExecutionStatus
from .finishing import finish_if_complete
from .lifecycle import any_slot_alive, cancel_complete
from .queue import enqueue_slot, executions_start_waiting


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
            if not any_slot_alive(execution.pk, now):
                cancel_complete(execution.pk, force=True)
            continue
        if finish_if_complete(execution.pk):
            continue
        recovered += requeue_silent_slots(execution.pk, now=now, stale_before=stale_before)
    executions_start_waiting()
    return recovered


def requeue_silent_slots(execution_id: int, *, now: datetime, stale_before: datetime) -> int:
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
            sql.append_log(
                execution_id=execution_id,
                lines=[(WARN, message)],
                now=now,
                counters={"recovered_slot_count": 1},
            )
            enqueue_slot(execution_id, slot.number, slot.generation + 1)
            requeued += 1
    return requeued
