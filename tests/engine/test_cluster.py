"""Executions run by a real django-q2 cluster in another process."""

import time

import pytest

from guides_processor import executions
from guides_processor.models import Execution, ExecutionItem, ExecutionStatus, ItemState

from .trees import many

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]


def wait_for(execution: Execution, statuses, timeout: float = 60.0) -> Execution:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        execution.refresh_from_db()
        if execution.status in statuses:
            return execution
        time.sleep(0.2)
    raise AssertionError(f"execution still {execution.status} after {timeout} s")


def test_a_cluster_processes_an_execution_with_its_slots_side_by_side(
    write_tree, start_cluster, settings
):
    settings.GUIDES_BATCH_SIZE = 20
    write_tree(many(400))
    start_cluster(GUIDES_BATCH_SIZE="20")
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")

    finished = wait_for(execution, {ExecutionStatus.SUCCESS})

    assert finished.processed_count == 400
    assert not ExecutionItem.objects.filter(execution=execution, state=ItemState.PENDING).exists()
    beats = list(execution.slots.values_list("heartbeat_at", flat=True))
    assert len(beats) == settings.GUIDES_PARALLEL_TASKS and all(beats)


def test_cancel_of_a_running_execution_completes_within_seconds(write_tree, start_cluster):
    write_tree(many(3000))
    start_cluster(GUIDES_BATCH_SIZE="10")
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    deadline = time.monotonic() + 60
    while execution.processed_count < 50 and time.monotonic() < deadline:
        time.sleep(0.1)
        execution.refresh_from_db()

    executions.execution_cancel(processing_id=execution.processing_id, by="admin")
    asked = time.monotonic()
    cancelled = wait_for(
        execution, {ExecutionStatus.CANCELLED, ExecutionStatus.SUCCESS}, timeout=10
    )

    assert cancelled.status == ExecutionStatus.CANCELLED
    assert time.monotonic() - asked < 5
    pending = ExecutionItem.objects.filter(execution=execution, state=ItemState.PENDING).count()
    assert pending > 0 and cancelled.triggered_count + pending == cancelled.total_files

    executions.execution_resume(processing_id=execution.processing_id, by="admin")
    resumed = wait_for(execution, {ExecutionStatus.SUCCESS}, timeout=120)
    assert resumed.processed_count == 3000
