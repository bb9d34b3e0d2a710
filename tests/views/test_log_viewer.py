"""The log viewer: the tail first, earlier pages on demand, new lines by cursor, 286 at the end."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from guides_processor.models import Execution, ExecutionStatus, LogLine

from .conftest import HTMX

pytestmark = pytest.mark.django_db


def with_lines(count: int, *, status: str = ExecutionStatus.SUCCESS) -> Execution:
    execution = Execution.objects.create(
        path="/content/dam/a", status=status, created_by="t", log_line_count=count
    )
    now = timezone.now()
    LogLine.objects.bulk_create(
        LogLine(
            execution=execution,
            line=n,
            time=now,
            level="WARN" if n % 100 == 7 else "INFO",
            message=f"message {n}",
        )
        for n in range(count)
    )
    return execution


def add_lines(execution: Execution, count: int) -> None:
    start = execution.log_line_count
    LogLine.objects.bulk_create(
        LogLine(
            execution=execution,
            line=start + n,
            time=timezone.now(),
            level="INFO",
            message=f"message {start + n}",
        )
        for n in range(count)
    )
    Execution.objects.filter(pk=execution.pk).update(log_line_count=start + count)
    execution.refresh_from_db()


def numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'data-line="(\d+)"', html)]


def url(name: str, execution: Execution) -> str:
    return reverse(f"guides_processor:{name}", args=[execution.processing_id])


def test_the_viewer_opens_at_the_latest_500_lines(runner_client):
    execution = with_lines(1200)

    html = runner_client.get(url("execution_logs", execution)).content.decode()

    assert numbers(html) == list(range(700, 1200))
    assert "Load earlier lines" in html and "before=700" in html
    assert '<span class="lvl">WARN</span>' in html
    assert re.search(r"<time datetime=\"[^\"]+\"[^>]*>\d\d:\d\d:\d\d</time>", html)


def test_the_viewer_links_the_zip_download(runner_client):
    execution = with_lines(3)

    html = runner_client.get(url("execution_logs", execution)).content.decode()

    assert (
        f"/bin/guides/v1/assets/process/logs/download?processingId={execution.processing_id}"
        in html
    )


def test_earlier_lines_come_a_page_at_a_time_with_a_button_while_more_exist(runner_client):
    execution = with_lines(1200)

    page = runner_client.get(
        url("log_earlier", execution), {"before": 700}, **HTMX
    ).content.decode()
    first = runner_client.get(
        url("log_earlier", execution), {"before": 200}, **HTMX
    ).content.decode()

    assert numbers(page) == list(range(200, 700))
    assert "before=200" in page
    assert numbers(first) == list(range(0, 200))
    assert "Load earlier lines" not in first


def test_a_finished_log_does_not_poll(runner_client):
    execution = with_lines(10)

    html = runner_client.get(url("execution_logs", execution)).content.decode()

    assert "hx-trigger" not in html.split('id="log-box"')[1]
    assert "End of the log." in html


def test_a_running_log_follows_from_its_last_line(runner_client):
    execution = with_lines(10, status=ExecutionStatus.IN_PROGRESS)

    html = runner_client.get(url("execution_logs", execution)).content.decode()

    assert "follow/?after=9" in html and 'hx-trigger="every 1s"' in html


def test_following_returns_only_the_lines_after_the_cursor(runner_client):
    execution = with_lines(10, status=ExecutionStatus.IN_PROGRESS)
    add_lines(execution, 5)

    response = runner_client.get(url("log_follow", execution), {"after": 9}, **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert numbers(html) == [10, 11, 12, 13, 14]
    assert "follow/?after=14" in html
    assert 'hx-swap-oob="true"' in html  # the status and ETA above the log


def test_following_with_nothing_new_keeps_the_cursor(runner_client):
    execution = with_lines(10, status=ExecutionStatus.IN_PROGRESS)

    html = runner_client.get(url("log_follow", execution), {"after": 9}, **HTMX).content.decode()

    assert numbers(html) == []
    assert "follow/?after=9" in html


def test_following_a_finished_execution_sends_the_last_lines_with_286(runner_client):
    execution = with_lines(10, status=ExecutionStatus.IN_PROGRESS)
    add_lines(execution, 2)
    Execution.objects.filter(pk=execution.pk).update(status=ExecutionStatus.SUCCESS)

    response = runner_client.get(url("log_follow", execution), {"after": 9}, **HTMX)

    assert response.status_code == 286
    html = response.content.decode()
    assert numbers(html) == [10, 11]
    assert "hx-trigger" not in html.split('id="log-status"')[0]
    assert "Completed" in html


def test_a_burst_up_to_one_step_comes_in_one_answer(runner_client):
    execution = with_lines(1, status=ExecutionStatus.IN_PROGRESS)
    add_lines(execution, 1999)

    response = runner_client.get(url("log_follow", execution), {"after": 0}, **HTMX)

    html = response.content.decode()
    assert numbers(html) == list(range(1, 2000))
    assert "skipped" not in html
    assert "follow/?after=1999" in html


def test_following_far_behind_jumps_to_the_newest_lines_and_offers_the_skipped_ones(
    runner_client,
):
    execution = with_lines(10, status=ExecutionStatus.IN_PROGRESS)
    add_lines(execution, 5000)  # lines 10..5009 written since the page's last line, 9

    response = runner_client.get(url("log_follow", execution), {"after": 9}, **HTMX)

    html = response.content.decode()
    assert numbers(html) == list(range(3010, 5010))
    assert "3000 lines skipped — load them" in html
    assert "earlier/?before=3010&amp;since=10" in html
    assert "follow/?after=5009" in html

    gap = runner_client.get(
        url("log_earlier", execution), {"before": 3010, "since": 10}, **HTMX
    ).content.decode()
    assert numbers(gap) == list(range(2510, 3010))
    assert "2500 lines skipped — load them" in gap
    assert "before=2510&amp;since=10" in gap

    last = runner_client.get(
        url("log_earlier", execution), {"before": 510, "since": 10}, **HTMX
    ).content.decode()
    assert numbers(last) == list(range(10, 510))
    assert "skipped" not in last and "Load earlier" not in last


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("log_follow", {"after": "x"}),
        ("log_follow", {"after": "-5"}),
        ("log_follow", {"after": "99999999999999999999999"}),
        ("log_follow", {}),
        ("log_earlier", {"before": "-1"}),
        ("log_earlier", {"before": "ten"}),
        ("log_earlier", {"before": "10", "since": "99999999999999999999999"}),
    ],
)
def test_bad_log_cursors_are_a_400_that_says_why(runner_client, name, params):
    execution = with_lines(10, status=ExecutionStatus.IN_PROGRESS)

    response = runner_client.get(url(name, execution), params, **HTMX)

    assert response.status_code == 400
    text = response.content.decode()
    assert re.search(r"(After|Before|Since): ", text), text
    assert json.loads(response["HX-Trigger"])["toast"]["level"] == "error"


def test_logs_of_an_unknown_execution_are_a_404(runner_client):
    response = runner_client.get(
        reverse("guides_processor:execution_logs", args=["00000000-0000-0000-0000-000000000000"])
    )

    assert response.status_code == 404
