"""Crash safety within one process: expired leases, zombie writers, the watchdog."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.brokers import get_broker

from guides_processor import executions, tasks
from guides_processor.engine import batch
from guides_processor.engine.slot import CONTINUE, STOP, SlotWorker, execution_work
from guides_processor.models import (
    Asset,
    ExecutionItem,
    ExecutionSlot,
    ExecutionStatus,
    ItemState,
    LogLine,
)

from .trees import many

pytestmark = pytest.mark.django_db


def step(execution, slot=0, seconds=0.0):
    generation = ExecutionSlot.objects.get(execution=execution, number=slot).generation
    return execution_work(
        execution_id=execution.pk,
        slot=slot,
        generation=generation,
        seconds=seconds,
        enqueue_continuation=False,
    )


def test_a_batch_lost_by_a_killed_worker_is_reclaimed_and_every_item_is_final_once(
    write_tree, settings
):
    settings.GUIDES_BATCH_SIZE = 10
    settings.GUIDES_LEASE_SECONDS = 1
    write_tree(many(30))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    step(execution)  # the manifest
    # A task of slot 1 claims a batch, processes it, and dies before it writes.
    generation = ExecutionSlot.objects.get(execution=execution, number=1).generation
    dead = SlotWorker(execution.pk, 1, generation, time.monotonic() + 60)
    claimed = batch.claim(dead)
    assert len(claimed) == 10
    processed = batch.process(dead, claimed)
    assert processed is not None

    finished = executions.execution_run_inline(processing_id=execution.processing_id)

    assert finished.status == ExecutionStatus.SUCCESS
    assert finished.processed_count == 30
    assert not ExecutionItem.objects.filter(execution=execution, state=ItemState.PENDING).exists()
    # The dead task was only slow: it comes back and writes its batch. Nothing of it may land.
    results, leftover = processed
    batch.write(dead, results, leftover)
    finished.refresh_from_db()
    assert finished.processed_count == 30
    messages = list(LogLine.objects.filter(execution=execution).values_list("message", flat=True))
    for index in range(30):
        assert sum(f"/content/dam/bulk/t{index:05d}.dita " in m for m in messages) == 1
    assert Asset.objects.count() == 30


def test_the_watchdog_requeues_silent_slots_and_the_old_task_stops(
    write_tree, settings, django_capture_on_commit_callbacks
):
    settings.GUIDES_STALE_SECONDS = 60
    write_tree(many(12))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    old = dict(
        ExecutionSlot.objects.filter(execution=execution).values_list("number", "generation")
    )
    ExecutionSlot.objects.filter(execution=execution).update(
        heartbeat_at=timezone.now() - timedelta(minutes=5)
    )
    broker = get_broker()
    queued = broker.queue_size()

    with django_capture_on_commit_callbacks(execute=True):
        recovered = executions.executions_recover()

    assert recovered == settings.GUIDES_PARALLEL_TASKS
    assert broker.queue_size() == queued + recovered
    new = dict(
        ExecutionSlot.objects.filter(execution=execution).values_list("number", "generation")
    )
    assert all(new[number] == old[number] + 1 for number in old)
    assert (
        LogLine.objects.filter(
            execution=execution, level="WARN", message__contains="was silent"
        ).count()
        == recovered
    )
    # A task of the old generation (say, the broker delivered it late) does nothing.
    assert tasks.run_slot(execution.pk, 0, old[0]) == STOP
    assert ExecutionItem.objects.filter(execution=execution).count() == 0
    # The re-enqueued one does the work.
    outcome = CONTINUE
    while outcome == CONTINUE:
        outcome = execution_work(
            execution_id=execution.pk,
            slot=0,
            generation=new[0],
            seconds=0,
            enqueue_continuation=False,
        )
    execution.refresh_from_db()
    assert (execution.status, execution.processed_count) == (ExecutionStatus.SUCCESS, 12)


def test_the_watchdog_leaves_live_slots_alone(write_tree):
    write_tree(many(3))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    assert executions.executions_recover() == 0
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.IN_PROGRESS


def test_a_cancel_nobody_completes_is_completed_by_the_watchdog(write_tree):
    write_tree(many(3))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    executions.execution_cancel(processing_id=execution.processing_id, by="admin")
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CANCELLING
    ExecutionSlot.objects.filter(execution=execution).update(
        heartbeat_at=timezone.now() - timedelta(hours=1)
    )

    executions.executions_recover()

    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CANCELLED


def test_cancel_completes_at_once_when_no_worker_is_alive(write_tree):
    write_tree(many(3))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    ExecutionSlot.objects.filter(execution=execution).update(
        heartbeat_at=timezone.now() - timedelta(hours=1)
    )

    cancelled = executions.execution_cancel(processing_id=execution.processing_id, by="admin")

    assert cancelled.status == ExecutionStatus.CANCELLED


def test_the_watchdog_starts_waiting_executions_when_a_slot_is_free(write_tree, settings):
    settings.GUIDES_MAX_RUNNING = 1
    write_tree({**many(2, "a"), **many(2, "b")})
    a = executions.execution_create(path="/content/dam/a", created_by="admin")
    b = executions.execution_create(path="/content/dam/b", created_by="admin")
    settings.GUIDES_MAX_RUNNING = 2
    executions.executions_recover()
    b.refresh_from_db()
    assert (a.status, b.status) == (ExecutionStatus.IN_PROGRESS, ExecutionStatus.IN_PROGRESS)


def test_the_watchdog_is_scheduled_every_minute_as_a_second_line(migrated_schedules):
    from django_q.models import Schedule

    from guides_processor import tasks

    schedule = Schedule.objects.get(name="guides-watchdog")
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.repeats) == (
        "guides_processor.tasks.watchdog",
        Schedule.MINUTES,
        1,
        -1,
    )
    assert tasks.watchdog() == 0
