"""A resumed execution's duration and throughput are those of its last run: the time it sat
cancelled is not counted.

By hand: 30 topics, batches of 10. The first run writes the manifest and one batch (10 assets),
is cancelled, and is then dated back: it ran from 80 s ago to 60 s ago (20 s for 10 assets,
0.5 assets/s) and sat cancelled since. Resumed, it processes the other 20 in this process.
"""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from guides_processor import executions
from guides_processor.models import Execution, ExecutionStatus, LogLine
from guides_processor.selectors.status import execution_timings
from tests.engine.steps import one_step, run
from tests.engine.trees import many

from .conftest import BASE

pytestmark = pytest.mark.django_db


@pytest.fixture
def cancelled(write_tree, settings) -> Execution:
    settings.GUIDES_BATCH_SIZE = 10
    write_tree(many(30))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    one_step(execution)  # the manifest
    one_step(execution)  # 10 assets
    executions.execution_cancel(processing_id=execution.processing_id, by="admin")
    one_step(execution)  # a worker completes the cancel
    now = timezone.now()
    Execution.objects.filter(pk=execution.pk).update(
        started_at=now - timedelta(seconds=80),
        segment_started_at=now - timedelta(seconds=80),
        completed_at=now - timedelta(seconds=60),
    )
    execution.refresh_from_db()
    assert (execution.status, execution.processed_count) == (ExecutionStatus.CANCELLED, 10)
    return execution


def status_of(api, execution: Execution) -> dict[str, Any]:
    response = api.get(f"{BASE}/status", {"processingId": str(execution.processing_id)})
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_a_cancelled_execution_reports_the_run_that_ended_at_the_cancel(api, cancelled):
    status = status_of(api, cancelled)

    assert status["durationMs"] == 20_000
    assert status["throughput"] == pytest.approx(0.5)


def test_a_resumed_execution_does_not_count_the_time_it_sat_cancelled(api, post_json, cancelled):
    response = post_json(api, f"{BASE}/resume", {"processingId": str(cancelled.processing_id)})
    assert response.status_code == 200
    assert response.json()["durationMs"] < 5_000  # its new run has just begun
    resumed_at = timezone.now()

    finished = run(cancelled)

    assert finished.status == ExecutionStatus.SUCCESS
    assert finished.processed_count == 30
    status = status_of(api, finished)
    assert finished.segment_started_at is not None and finished.completed_at is not None
    run_ms = (finished.completed_at - finished.segment_started_at) / timedelta(milliseconds=1)
    assert status["durationMs"] == round(run_ms)
    # Counted from the start, it was more than 60 s; the last run took a moment.
    assert 0 < status["durationMs"] < 30_000
    assert finished.segment_started_at >= resumed_at - timedelta(seconds=1)
    assert status["throughput"] == pytest.approx(20 / (run_ms / 1000))
    timings = execution_timings(finished)
    assert timings.rate == pytest.approx(status["throughput"])

    last = LogLine.objects.filter(execution=finished).order_by("-line").first()
    assert last is not None
    found = re.search(r"Execution completed in ([\d.]+) s \((\d+) assets/s\)", last.message)
    assert found is not None, last.message
    # The log says what the status says (it said 80.x s, and 0 assets/s).
    assert (found[1], found[2]) == (f"{run_ms / 1000:.1f}", f"{status['throughput']:.0f}")


def test_an_execution_never_started_has_no_duration(api, write_tree, settings):
    settings.GUIDES_MAX_RUNNING = 1
    write_tree({**many(3, "a"), **many(3, "b")})
    executions.execution_create(path="/content/dam/a", created_by="admin")
    waiting = executions.execution_create(path="/content/dam/b", created_by="admin")

    status = status_of(api, waiting)

    assert waiting.status == ExecutionStatus.WAITING
    assert (status["durationMs"], status["throughput"]) == (0, None)
