"""Running without a cluster: the command line works through the queue itself, and the benchmark
times the calculation alone.

With more than one process, this process works slot 0 of the running execution and each other
slot is worked by a worker process of its own (started with the ``spawn`` method: a fresh
interpreter with its own database connection, nothing inherited from this process). Slot 0 starts
at once, with the calculation, while the others start their interpreters. Nothing is sent to the
broker meanwhile: no cluster would take it, and it would be left behind.
"""

import math
import multiprocessing
import signal
import time
from collections.abc import Callable

from django.db.models import F
from django.utils import timezone

from ..engine import calculation, slot, sql, worker_process
from ..models import FINISHED_STATUSES, RUNNING_STATUSES, Execution, ExecutionSlot
from .lifecycle import execution_fail, execution_get
from .queue import enqueue_suppressed, executions_start_waiting

# How often the waiting process looks at the execution to show progress.
_PROGRESS_SECONDS = 0.5
# The time budget of a task this process runs itself, between two looks at the progress.
_TASK_SECONDS = 1.0


def execution_run_inline(
    *,
    processing_id: object,
    on_progress: Callable[[Execution], None] | None = None,
    processes: int = 1,
) -> Execution:
    """Process queued and running executions here until this one is finished.

    For the command line when no cluster is running. It takes slots 0 to ``processes`` - 1 of
    whichever execution is running (a cluster's queued task for those slots, if one appears
    later, stops at once), and works through the queue in order, so ``GUIDES_MAX_RUNNING`` still
    holds. With ``processes`` > 1 the slots are worked in as many worker processes; they see
    only what is committed, so inside a transaction (or on an in-memory database) this works in
    this process alone.
    """
    target = execution_get(processing_id=processing_id)
    if not sql.BACKEND.shared():
        processes = 1
    with enqueue_suppressed():
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
            if processes > 1:
                _work_in_processes(running.pk, processes, target, on_progress)
                continue
            slot.execution_work(
                execution_id=running.pk,
                slot=0,
                generation=_take_slot(running.pk, 0),
                seconds=_TASK_SECONDS,
                enqueue_continuation=False,
            )


def _work_in_processes(
    execution_id: int,
    processes: int,
    target: Execution,
    on_progress: Callable[[Execution], None] | None,
) -> None:
    """Work an execution's slots 0..processes-1 until none has more to do: slot 0 here, in tasks
    of a second with the progress shown between them, the others in worker processes."""
    context = multiprocessing.get_context("spawn")
    handover = worker_process.handover()
    workers = []
    # Ctrl-C is for this process alone (it cancels the execution, see the command): the workers
    # start with SIGINT ignored, a disposition that survives the exec of a spawned interpreter.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for number in range(1, processes):
            generation = _take_slot(execution_id, number)
            worker = context.Process(
                target=worker_process.run_slot_process,
                args=(execution_id, number, generation, handover),
                name=f"guides-slot-{number}",
                daemon=True,
            )
            worker.start()
            workers.append(worker)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        generation = _take_slot(execution_id, 0)
        outcome = slot.CONTINUE
        while True:
            if on_progress and target.pk == execution_id:
                target.refresh_from_db()
                on_progress(target)
            # Slot 0 stops here too once a worker process crashed (the execution is failed
            # below), and this waits for the others.
            if outcome == slot.CONTINUE and not any(worker.exitcode for worker in workers):
                outcome = slot.execution_work(
                    execution_id=execution_id,
                    slot=0,
                    generation=generation,
                    seconds=_TASK_SECONDS,
                    enqueue_continuation=False,
                )
            elif any(worker.is_alive() for worker in workers):
                for worker in workers:
                    worker.join(_PROGRESS_SECONDS / len(workers))
            else:
                break
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
    failed = [worker.exitcode for worker in workers if worker.exitcode]
    still_running = Execution.objects.filter(pk=execution_id, status__in=RUNNING_STATUSES)
    if failed and still_running.exists():
        # A worker process that crashed (it could not start, or was killed): say so rather than
        # starting new ones over and over.
        execution_fail(
            execution_id=execution_id,
            reason=f"a worker process of the command line exited with status {failed[0]}",
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
