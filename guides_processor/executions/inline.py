"""Running without a cluster: the command line works through the queue in its own process, and the
benchmark times the calculation alone.
"""

import math
import time
from collections.abc import Callable

from django.db.models import F
from django.utils import timezone

from ..engine import calculation, slot
from ..models import FINISHED_STATUSES, RUNNING_STATUSES, Execution, ExecutionSlot
from .lifecycle import execution_get
from .queue import executions_start_waiting


def execution_run_inline(
    *, processing_id: object, on_progress: Callable[[Execution], None] | None = None
) -> Execution:
    """Process queued and running executions in this process until this one is finished.

    For the command line when no cluster is running. It takes slot 0 of whichever execution is
    running (a cluster's queued task for that slot, if one appears later, stops at once), and works
    through the queue in order, so ``GUIDES_MAX_RUNNING`` still holds.
    """
    target = execution_get(processing_id=processing_id)
    while True:
        target.refresh_from_db()
        if on_progress:
            on_progress(target)
        if target.status in FINISHED_STATUSES:
            return target
        executions_start_waiting()
        running = Execution.objects.filter(status__in=RUNNING_STATUSES).order_by("id").first()
        if running is None:
            time.sleep(slot.IDLE_SLEEP_SECONDS)
            continue
        slot.execution_work(
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
    execution = execution_get(processing_id=processing_id)
    generation = _take_slot(execution.pk, 0)
    calculation.calculate(slot.SlotWorker(execution.pk, 0, generation, deadline=math.inf))
    execution.refresh_from_db()
    return execution
