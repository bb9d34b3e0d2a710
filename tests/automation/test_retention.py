"""Retention: logs and manifests of executions finished long ago go; executions and counts stay."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from guides_processor import executions, tasks
from guides_processor.executions.retention import executions_prune
from guides_processor.models import Execution, ExecutionItem, ExecutionStatus, LogLine, StatusJob
from tests.api.conftest import basic

pytestmark = pytest.mark.django_db

BASE = "/bin/guides/v1/assets/process"


@pytest.fixture
def two_finished(write_tree):
    """Executions of the same folder, finished 100 and 10 days ago, with a failed asset each."""
    write_tree(
        {
            "docs/a.dita": "<topic id='a'><title>A</title></topic>",
            "docs/b.md": "# B\n",
            "docs/c.dita": "<topic id='c'><title>C",
        }
    )
    finished = []
    for days in (100, 10):
        created = executions.execution_create(path="/content/dam/docs", created_by="ci")
        execution = executions.execution_run_inline(processing_id=created.processing_id)
        assert execution.status == ExecutionStatus.SUCCESS
        Execution.objects.filter(pk=execution.pk).update(
            completed_at=timezone.now() - timedelta(days=days)
        )
        execution.refresh_from_db()
        finished.append(execution)
    return finished


def status_of(client: Client, execution: Execution) -> dict[str, Any]:
    response = client.get(f"{BASE}/status", {"processingId": str(execution.processing_id)})
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def test_the_old_execution_loses_its_rows_and_keeps_its_counts(admin, two_finished, settings):
    settings.GUIDES_LOG_RETENTION_DAYS = 90
    old, recent = two_finished
    api = Client(headers={"Authorization": basic("admin")})
    before = status_of(api, old)
    recent_lines = LogLine.objects.filter(execution=recent).count()
    recent_items = ExecutionItem.objects.filter(execution=recent).count()
    assert LogLine.objects.filter(execution=old).exists()
    assert recent_items == 3

    # Batches of two rows: several batches for each table.
    assert executions_prune(batch=2) == 1

    assert not LogLine.objects.filter(execution=old).exists()
    assert not ExecutionItem.objects.filter(execution=old).exists()
    assert LogLine.objects.filter(execution=recent).count() == recent_lines
    assert ExecutionItem.objects.filter(execution=recent).count() == recent_items
    after = status_of(api, old)
    assert after["processedCount"] == before["processedCount"] == 2
    assert after["failedCount"] == before["failedCount"] == 1
    assert after["triggeredCount"] == 3
    assert (before["hasLogs"], after["hasLogs"]) == (True, False)
    changed = {"resumable", "hasLogs"}
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }
    history = api.get(f"{BASE}/history").json()
    assert str(old.processing_id) in str(history)
    # Done once: a second run finds nothing to do.
    assert executions_prune(batch=2) == 0


def test_the_detail_page_and_the_log_of_a_pruned_execution_still_answer(
    admin, two_finished, settings
):
    settings.GUIDES_LOG_RETENTION_DAYS = 90
    old, _recent = two_finished
    tasks.retention()
    client = Client()
    client.force_login(admin)

    detail = client.get(reverse("guides_processor:execution_detail", args=[old.processing_id]))
    logs = Client(headers={"Authorization": basic("admin")}).get(
        f"{BASE}/logs", {"processingId": str(old.processing_id)}
    )

    assert detail.status_code == 200
    page = detail.content.decode()
    assert 'id="pruned-note"' in page
    assert "Removed with the list of assets." in page
    assert logs.status_code == 200
    body = logs.json()
    assert (body["lines"], body["entries"], body["total"], body["hasMore"]) == ([], [], 0, False)
    pruned_at = Execution.objects.get(pk=old.pk).pruned_at
    assert pruned_at is not None
    assert body["removedAt"] == int(pruned_at.timestamp() * 1000)


def test_a_pruned_log_says_it_was_removed_and_offers_no_download(admin, two_finished, settings):
    settings.GUIDES_LOG_RETENTION_DAYS = 90
    old, recent = two_finished
    tasks.retention()
    client = Client()
    client.force_login(admin)
    api = Client(headers={"Authorization": basic("admin")})

    viewer = client.get(reverse("guides_processor:execution_logs", args=[old.processing_id]))
    download = api.get(f"{BASE}/logs/download", {"processingId": str(old.processing_id)})
    table = client.get(reverse("guides_processor:executions")).content.decode()

    assert viewer.status_code == 200
    page = viewer.content.decode()
    assert 'id="pruned-note"' in page and "of this log were removed on" in page
    assert 'id="download-logs"' not in page and "Load earlier lines" not in page
    assert download.status_code == 404
    assert "removed by retention" in download.json()["message"]
    assert f'id="download-{old.processing_id}' not in table
    assert f'id="download-{recent.processing_id}' in table
    recent_logs = api.get(f"{BASE}/logs", {"processingId": str(recent.processing_id)}).json()
    assert recent_logs["removedAt"] is None and recent_logs["total"] > 0


def test_a_pruned_execution_cannot_be_resumed(admin, two_finished, settings):
    settings.GUIDES_LOG_RETENTION_DAYS = 90
    old, _recent = two_finished
    Execution.objects.filter(pk=old.pk).update(status=ExecutionStatus.FAILED)
    executions_prune()
    api = Client(headers={"Authorization": basic("admin")})

    response = api.post(
        f"{BASE}/resume?processingId={old.processing_id}", content_type="application/json"
    )

    assert status_of(api, old)["resumable"] is False
    assert response.status_code == 409, response.content
    assert "restart it instead" in response.json()["message"]
    # The day it was removed, not this process's setting, which may not be the one that did.
    settings.GUIDES_LOG_RETENTION_DAYS = 7
    pruned_at = Execution.objects.get(pk=old.pk).pruned_at
    assert pruned_at is not None
    retry = api.post(
        f"{BASE}/retry?processingId={old.processing_id}", content_type="application/json"
    )
    assert retry.status_code == 409, retry.content
    assert retry.json()["message"] == (
        f"The failed assets of execution {old.processing_id} cannot be retried: its log and "
        f"manifest were removed on {pruned_at:%Y-%m-%d} (retention); restart it instead."
    )


def test_zero_keeps_everything(two_finished, settings):
    settings.GUIDES_LOG_RETENTION_DAYS = 0
    old, _recent = two_finished

    assert executions_prune() == 0
    assert LogLine.objects.filter(execution=old).exists()
    assert ExecutionItem.objects.filter(execution=old).exists()


def test_the_daily_schedule_is_installed(migrated_schedules):
    schedule = Schedule.objects.get(name="guides-retention")
    assert schedule.func == "guides_processor.tasks.retention"
    assert schedule.schedule_type == Schedule.DAILY
    sweep = Schedule.objects.get(name="guides-webhook-sweep")
    assert sweep.func == "guides_processor.tasks.webhook_sweep"


def test_the_daily_task_removes_the_status_jobs_of_the_day_before(admin, write_tree, settings):
    """Whatever GUIDES_LOG_RETENTION_DAYS says (0: logs kept forever), a status job goes a day
    after it was made: reading it is then a 404."""
    settings.GUIDES_LOG_RETENTION_DAYS = 0
    write_tree({"docs/a.md": "# A\n"})
    client = Client(headers={"Authorization": basic("admin")})
    made = []
    for _ in range(2):
        response = client.post(
            "/bin/guides/v1/assets/status",
            data={"paths": ["/content/dam/docs"]},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        made.append(response.json()["jobId"])
    old, recent = made
    StatusJob.objects.filter(job_id=old).update(
        created_at=timezone.now() - timedelta(days=1, minutes=1)
    )

    tasks.retention()

    assert client.get("/bin/guides/v1/assets/status", {"jobId": old}).status_code == 404
    assert client.get("/bin/guides/v1/assets/status", {"jobId": recent}).status_code == 200
