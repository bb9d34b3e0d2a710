"""Batches sized by the pace of processing: large for small files, small for slow ones."""

import time

import pytest

from guides_processor import executions
from guides_processor.engine import batch, slot
from guides_processor.engine.slot import SlotWorker, next_batch_size
from guides_processor.models import ExecutionSlot, ExecutionStatus

from .trees import many


def test_fast_batches_double_up_to_the_largest():
    sizes = [50]
    for _ in range(5):
        size = sizes[-1]
        # A hundredth of a second for the batch: the pace would fill far more than 400.
        sizes.append(next_batch_size(size, claimed=size, processed=size, seconds=0.01, largest=400))
    assert sizes == [50, 100, 200, 400, 400, 400]


def test_a_slow_batch_is_followed_by_what_its_pace_does_in_a_second():
    # 400 files in 8 s: 50 a second.
    assert next_batch_size(400, claimed=400, processed=400, seconds=8.0, largest=400) == 50
    # 3 files in 30 s: one at a time, never none.
    assert next_batch_size(3, claimed=3, processed=3, seconds=30.0, largest=400) == 1


def test_a_batch_cut_short_keeps_the_size():
    # The manifest's last items, or a batch stopped by a cancel: no measure of the pace.
    assert next_batch_size(200, claimed=37, processed=37, seconds=0.001, largest=400) == 200
    assert next_batch_size(200, claimed=200, processed=12, seconds=9.0, largest=400) == 200
    assert next_batch_size(200, claimed=200, processed=0, seconds=0.0, largest=400) == 200


def test_the_largest_bounds_even_the_first_batch():
    assert next_batch_size(8, claimed=8, processed=8, seconds=0.001, largest=10) == 10


@pytest.mark.django_db
def test_a_task_claims_the_first_size_then_more_as_files_go_fast(write_tree, settings):
    settings.GUIDES_BATCH_SIZE = 400
    write_tree(many(300))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    generation = ExecutionSlot.objects.get(execution=execution, number=0).generation
    worker = SlotWorker(execution.pk, 0, generation, time.monotonic() + 60)
    assert worker.run() == slot.STOP
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.SUCCESS
    assert execution.processed_count == 300
    # 300 small files: 50, then a larger batch, which the rest fits in (less than asked for).
    assert worker.batch_size > 50
    assert worker.claim_cursor > 0


@pytest.mark.django_db
def test_a_claim_asks_for_the_workers_batch_size(write_tree, settings):
    settings.GUIDES_BATCH_SIZE = 400
    write_tree(many(120))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    executions.execution_calculate(processing_id=execution.processing_id)
    worker = SlotWorker(
        execution.pk,
        0,
        ExecutionSlot.objects.get(execution=execution, number=0).generation,
        time.monotonic() + 60,
    )
    assert worker.batch_size == 50
    assert len(batch.claim(worker)) == 50
    worker.batch_size = 7
    assert len(batch.claim(worker)) == 7


@pytest.mark.django_db
def test_the_next_task_run_here_starts_at_the_size_the_last_one_left(write_tree, settings):
    """The command line runs a slot's tasks one after another in its process: each does not
    start again from the first size."""
    settings.GUIDES_BATCH_SIZE = 400
    write_tree(many(120))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    executions.execution_calculate(processing_id=execution.processing_id)
    generation = ExecutionSlot.objects.get(execution=execution, number=0).generation
    first = SlotWorker(execution.pk, 0, generation, time.monotonic() + 60)
    first.continues_here = True
    first.batch_size = 30
    first.deadline = time.monotonic()  # one round: a batch, then out of time
    assert first.run() == slot.CONTINUE
    assert execution.items.filter(state="DONE").count() == 30
    left = first.batch_size
    assert left > 30  # small files: the pace doubled it
    assert SlotWorker(execution.pk, 0, generation, time.monotonic() + 60).batch_size == left
    # Taken once; a task whose continuation is enqueued (a cluster's) leaves none.
    assert SlotWorker(execution.pk, 0, generation, time.monotonic() + 60).batch_size == 50
    queued = SlotWorker(execution.pk, 0, generation, time.monotonic())
    assert queued.run() == slot.CONTINUE
    assert SlotWorker(execution.pk, 0, generation, time.monotonic() + 60).batch_size == 50
