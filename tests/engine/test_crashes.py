"""Crashes with real clusters: a cluster killed mid-batch, the database restarted, the broker's
queue lost, a cancel while a cluster dies. No manual action: the engine must recover by itself,
and every manifest item must be final exactly once (no result lost, none written twice)."""

import shutil
import subprocess
import time
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from guides_processor import executions
from guides_processor.models import (
    Asset,
    Execution,
    ExecutionItem,
    ExecutionStatus,
    ItemState,
    LogLine,
)

from .trees import many

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

FILES = 8000
CLUSTER = {"GUIDES_WORKERS": "2", "GUIDES_PARALLEL_TASKS": "4", "GUIDES_BATCH_SIZE": "20"}
# Tasks hand over every second, so that the chains soon spread over both clusters.
# Small batches make the run last long enough for that.
ROTATING = {**CLUSTER, "GUIDES_TASK_SECONDS": "1", "GUIDES_BATCH_SIZE": "4"}


@pytest.fixture
def four_slots(settings):
    # The process that starts an execution decides how many slots it gets.
    settings.GUIDES_PARALLEL_TASKS = 4
    settings.GUIDES_BATCH_SIZE = 20


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout} s\n{_story()}")


def _story() -> str:
    """What the executions and their slots were doing, for a failure message."""
    lines = []
    for execution in Execution.objects.all():
        lines.append(f"{execution} {execution.triggered_count}/{execution.total_files}")
        for slot in execution.slots.all():
            lines.append(
                f"  slot {slot.number} generation {slot.generation} beat {slot.heartbeat_at}"
            )
        for line in LogLine.objects.filter(execution=execution).exclude(
            message__startswith="Processed "
        ):
            lines.append(f"  {line.time:%H:%M:%S.%f} {line.level} {line.message}")
    return "\n".join(lines)


def progressed(execution: Execution, count: int):
    def check():
        execution.refresh_from_db()
        return execution.triggered_count >= count

    return check


def finished(execution: Execution):
    def check():
        execution.refresh_from_db()
        return execution.status in (
            ExecutionStatus.SUCCESS,
            ExecutionStatus.CANCELLED,
            ExecutionStatus.FAILED,
        )

    return check


def assert_each_item_final_once(execution: Execution, files: int) -> None:
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.SUCCESS, execution.comments
    assert execution.total_files == files
    assert execution.processed_count == files
    assert (
        not ExecutionItem.objects.filter(execution=execution).exclude(state=ItemState.DONE).exists()
    )
    # One "Processed" line per asset: a batch written twice would show twice, a lost one not at all.
    processed = list(
        LogLine.objects.filter(execution=execution, message__startswith="Processed ").values_list(
            "message", flat=True
        )
    )
    paths = [message.split(" ")[1] for message in processed]
    assert len(paths) == files
    assert len(set(paths)) == files
    assert Asset.objects.count() == files
    lines = list(LogLine.objects.filter(execution=execution).values_list("line", flat=True))
    assert sorted(lines) == list(range(execution.log_line_count))


def two_clusters_a_third_done(write_tree, start_cluster) -> tuple[Any, Execution]:
    """Two clusters working on one execution, a third of it done; returns the first cluster."""
    write_tree(many(FILES))
    first = start_cluster(**ROTATING)
    start_cluster(**ROTATING)
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    wait_until(progressed(execution, FILES // 3), 60, "progress")
    return first, execution


def test_a_cluster_killed_mid_batch_loses_nothing_and_writes_nothing_twice(
    write_tree, start_cluster, four_slots
):
    doomed, execution = two_clusters_a_third_done(write_tree, start_cluster)

    doomed.kill()

    wait_until(finished(execution), 120, "the execution's end")
    assert_each_item_final_once(execution, FILES)


def test_a_cancel_while_a_cluster_dies_is_completed_and_resume_finishes_the_rest(
    write_tree, start_cluster, four_slots
):
    doomed, execution = two_clusters_a_third_done(write_tree, start_cluster)

    doomed.kill()
    executions.execution_cancel(processing_id=execution.processing_id, by="admin")

    wait_until(finished(execution), 60, "the cancel")
    assert execution.status == ExecutionStatus.CANCELLED
    executions.execution_resume(processing_id=execution.processing_id, by="admin")
    wait_until(finished(execution), 120, "the resumed execution's end")
    assert_each_item_final_once(execution, FILES)


def test_when_every_worker_dies_the_watchdog_brings_the_execution_to_its_end(
    write_tree, start_cluster, four_slots
):
    write_tree(many(FILES))
    doomed = start_cluster(**CLUSTER)
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    wait_until(progressed(execution, 300), 60, "progress")
    doomed.kill()
    # A new cluster starts with nothing queued for this execution (the ORM broker would hand the
    # dead cluster's tasks out again only after `retry`, the Redis broker never): only the
    # watchdog, running in the new cluster's workers, can bring the execution back.
    start_cluster(**CLUSTER)

    wait_until(finished(execution), 150, "the execution's end")
    assert_each_item_final_once(execution, FILES)
    assert LogLine.objects.filter(execution=execution, message__contains="was silent").exists()


@pytest.mark.skipif(
    not settings.GUIDES_BROKER_URL, reason="needs the Redis broker (GUIDES_BROKER_URL)"
)
def test_messages_lost_by_the_broker_are_recovered_by_the_watchdog(
    write_tree, start_cluster, four_slots
):
    from django_q.brokers import get_broker

    write_tree(many(FILES))
    # No cluster yet: the execution's tasks wait in Redis, and are lost with it (this test
    # process's queue only: other test processes may share the Redis database).
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    broker = get_broker()
    assert broker.queue_size() > 0
    broker.purge_queue()
    start_cluster(**CLUSTER)

    wait_until(finished(execution), 150, "the execution's end")
    assert_each_item_final_once(execution, FILES)


def _pg_restart_command() -> list[str] | None:
    if shutil.which("pg_ctlcluster") is None or shutil.which("pg_lsclusters") is None:
        return None
    clusters = subprocess.run(
        ["pg_lsclusters", "-h"], capture_output=True, text=True
    ).stdout.split()
    if len(clusters) < 2:
        return None
    return ["pg_ctlcluster", "--skip-systemctl-redirect", clusters[0], clusters[1], "restart"]


@pytest.mark.alone
def test_a_database_restart_mid_run_is_survived(write_tree, start_cluster, four_slots):
    if connection.vendor != "postgresql":
        pytest.skip("restarts the PostgreSQL server: runs on the PostgreSQL pass only")
    command = _pg_restart_command()
    if command is None:
        pytest.skip("pg_ctlcluster is not here to restart PostgreSQL")
    write_tree(many(FILES))
    start_cluster(**CLUSTER)
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    wait_until(progressed(execution, 300), 60, "progress")

    subprocess.run(command, check=True, timeout=60)
    connection.close()

    wait_until(finished(execution), 180, "the execution's end")
    assert_each_item_final_once(execution, FILES)
