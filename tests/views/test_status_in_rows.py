"""What a row's status says beyond the badge: the queue, the reason of a failure, no ETA when
cancelling, an empty run's count; and refusals said as errors."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from guides_processor import executions
from guides_processor.models import CalculationStatus, Execution, ExecutionStatus

from .conftest import HTMX

pytestmark = pytest.mark.django_db

EXECUTIONS = reverse("guides_processor:executions")


def row_html(html: str, execution: Execution) -> str:
    return html.split(f'id="row-{execution.processing_id}"')[1].split("</tr>")[0]


def test_a_waiting_row_shows_its_place_in_the_queue(runner_client):
    waiting = [
        Execution.objects.create(
            path=f"/content/dam/w{index}", status=ExecutionStatus.WAITING, created_by="t"
        )
        for index in range(3)
    ]

    html = runner_client.get(EXECUTIONS).content.decode()

    assert "1st in queue" in row_html(html, waiting[0])
    assert "2nd in queue" in row_html(html, waiting[1])
    assert "3rd in queue" in row_html(html, waiting[2])
    detail = runner_client.get(
        reverse("guides_processor:execution_detail", args=[waiting[1].processing_id])
    ).content.decode()
    assert "Waiting in the queue (2nd in line)" in detail


def test_a_cancelling_row_shows_no_eta(runner_client):
    now = timezone.now()
    execution = Execution.objects.create(
        path="/content/dam/c",
        status=ExecutionStatus.IN_PROGRESS,
        created_by="t",
        calculation_status=CalculationStatus.SUCCESS,
        total_files=1000,
        processed_count=100,
        started_at=now - timedelta(seconds=10),
        segment_started_at=now - timedelta(seconds=10),
    )
    assert "ETA" in row_html(runner_client.get(EXECUTIONS).content.decode(), execution)

    Execution.objects.filter(pk=execution.pk).update(status=ExecutionStatus.CANCELLING)

    row = row_html(runner_client.get(EXECUTIONS).content.decode(), execution)
    assert "Cancelling" in row
    assert "ETA" not in row


def test_a_finished_run_that_matched_nothing_says_zero_assets(runner_client, content_root):
    (content_root / "hollow").mkdir()
    execution = executions.execution_create(path="/content/dam/hollow", created_by="operator")
    execution = executions.execution_run_inline(processing_id=execution.processing_id)
    assert execution.status == ExecutionStatus.SUCCESS

    row = row_html(runner_client.get(EXECUTIONS).content.decode(), execution)

    assert "Completed" in row
    assert "0 assets" in row


def test_a_failed_row_shows_its_reason_on_one_line(runner_client):
    execution = Execution.objects.create(
        path="/content/dam/f",
        status=ExecutionStatus.FAILED,
        created_by="t",
        comments="The folder /content/dam/f no longer exists.",
    )

    row = row_html(runner_client.get(EXECUTIONS).content.decode(), execution)

    assert 'class="status-reason"' in row
    assert "The folder /content/dam/f no longer exists." in row


def test_a_refused_resume_is_an_error_toast(runner_client, running):
    url = reverse("guides_processor:execution_resume", args=[running.processing_id])

    response = runner_client.post(url, **HTMX)

    assert response.status_code == 409
    toast = json.loads(response["HX-Trigger"])["toast"]
    assert toast["level"] == "error"
    assert toast["title"] == "Error"
    assert "only cancelled or failed executions can be resumed" in toast["message"]


def test_times_carry_their_zone_before_the_script_names_the_readers(runner_client, settings):
    settings.TIME_ZONE = "Europe/Paris"
    started = timezone.now().replace(month=1, day=15, hour=9, minute=30, second=0, microsecond=0)
    execution = Execution.objects.create(
        path="/content/dam/t", status=ExecutionStatus.SUCCESS, created_by="t", started_at=started
    )

    row = row_html(runner_client.get(EXECUTIONS).content.decode(), execution)

    assert f'<time datetime="{started.year}-01-15T10:30:00+01:00">' in row
    assert f"{started.year}-01-15<br>10:30:00 CET</time>" in row
