"""Row actions: shown by the status object's flags, done by POST, said in a toast."""

import json
import re

import pytest
from django.urls import reverse

from guides_processor import executions
from guides_processor.models import Execution, ExecutionStatus

from .conftest import HTMX

pytestmark = pytest.mark.django_db


def actions_of(html: str, execution: Execution) -> set[str]:
    row = html.split(f'id="row-{execution.processing_id}"')[1].split("</tr>")[0]
    return set(re.findall(r'aria-label="(View logs|Restart|Resume|Cancel|Download logs)"', row))


def table(client) -> str:
    html: str = client.get(reverse("guides_processor:executions")).content.decode()
    return html


def test_a_finished_row_offers_restart_logs_and_the_download(runner_client, finished):
    assert actions_of(table(runner_client), finished) == {"View logs", "Restart", "Download logs"}


def test_a_running_row_offers_cancel_and_logs(runner_client, running):
    assert actions_of(table(runner_client), running) == {"View logs", "Cancel", "Download logs"}


def test_a_cancelled_row_offers_resume_and_restart(runner_client, running):
    executions.execution_cancel(processing_id=running.processing_id, by="operator")

    assert actions_of(table(runner_client), running) == {
        "View logs",
        "Restart",
        "Resume",
        "Download logs",
    }


def test_the_download_links_to_the_api(runner_client, finished):
    html = table(runner_client)

    assert (
        f"/bin/guides/v1/assets/process/logs/download?processingId={finished.processing_id}" in html
    )


def test_action_buttons_are_guarded_against_double_clicks(runner_client, finished):
    html = table(runner_client)
    restart = html.split(f'id="restart-{finished.processing_id}"')[1].split(">")[0]

    assert 'hx-disabled-elt="this"' in restart


def test_cancel_says_so_and_refreshes_the_table(runner_client, running):
    url = reverse("guides_processor:execution_cancel", args=[running.processing_id])

    response = runner_client.post(url, **HTMX)

    assert response.status_code == 204
    triggers = json.loads(response["HX-Trigger"])
    assert triggers["toast"]["message"] == f"Execution {str(running.processing_id)[:8]} cancelled."
    assert "executions-changed" in triggers
    running.refresh_from_db()
    assert running.status == ExecutionStatus.CANCELLED


def test_resume_continues_a_cancelled_execution(runner_client, running):
    executions.execution_cancel(processing_id=running.processing_id, by="operator")
    url = reverse("guides_processor:execution_resume", args=[running.processing_id])

    response = runner_client.post(url, **HTMX)

    assert response.status_code == 204
    assert "resumed" in json.loads(response["HX-Trigger"])["toast"]["message"]
    running.refresh_from_db()
    assert running.status in (ExecutionStatus.WAITING, ExecutionStatus.IN_PROGRESS)


def test_restart_makes_a_new_execution_linked_to_the_old_one(runner_client, finished):
    url = reverse("guides_processor:execution_restart", args=[finished.processing_id])

    response = runner_client.post(url, **HTMX)

    assert response.status_code == 204
    new = Execution.objects.exclude(pk=finished.pk).get()
    assert new.restarted_from == finished
    message = json.loads(response["HX-Trigger"])["toast"]["message"]
    assert message == f"Restarted as execution {str(new.processing_id)[:8]}."


def test_a_conflict_is_said_in_an_error_toast(runner_client, finished):
    url = reverse("guides_processor:execution_cancel", args=[finished.processing_id])

    response = runner_client.post(url, **HTMX)

    assert response.status_code == 409
    toast = json.loads(response["HX-Trigger"])["toast"]
    assert toast["level"] == "error"
    assert "only waiting or running executions can be cancelled" in toast["message"]


def test_an_unknown_execution_is_a_404(runner_client):
    url = reverse(
        "guides_processor:execution_cancel", args=["00000000-0000-0000-0000-000000000000"]
    )

    assert runner_client.post(url, **HTMX).status_code == 404


def test_without_htmx_an_action_redirects_back_with_a_message(runner_client, finished):
    url = reverse("guides_processor:execution_restart", args=[finished.processing_id])
    back = reverse("guides_processor:execution_detail", args=[finished.processing_id])

    response = runner_client.post(url, {"next": back}, follow=True)

    assert response.redirect_chain[-1][0] == back
    assert "Restarted as execution" in response.content.decode()


def test_an_outside_next_is_not_followed(runner_client, finished):
    url = reverse("guides_processor:execution_restart", args=[finished.processing_id])

    response = runner_client.post(url, {"next": "https://elsewhere.example/"})

    assert response["Location"] == reverse("guides_processor:executions")
