"""Webhooks: the end of an execution is POSTed, signed, to each address, by a task, with retries."""

import hashlib
import hmac
import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django_q.models import Schedule

from guides_processor import executions, tasks
from guides_processor.executions import webhooks
from guides_processor.models import Execution, ExecutionStatus, LogLine, WebhookDelivery

from .conftest import SECRET, run_queued

pytestmark = pytest.mark.django_db

BASE = "/bin/guides/v1/assets/process"
DELIVER = "guides_processor.tasks.webhook_deliver"
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def tree(write_tree):
    return write_tree(
        {
            "docs/a.dita": "<topic id='a'><title>A</title></topic>",
            "docs/b.md": "# B\n",
        }
    )


def readme_verifier():
    """The verification example of the README's Webhooks section, run as a receiver would."""
    section = README.read_text().split("### Webhooks", 1)[1].split("\n### ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "the Webhooks section has a Python example"
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)
    return namespace["verified"]


def log_of(execution: Execution) -> list[str]:
    return list(
        LogLine.objects.filter(execution=execution)
        .order_by("line")
        .values_list("message", flat=True)
    )


def test_the_start_request_posts_nothing_and_the_end_posts_once_to_each_address(
    api, post_json, tree, receiver, webhook_settings, django_capture_on_commit_callbacks
):
    webhook_settings.GUIDES_WEBHOOK_URLS = [receiver.url("/global")]
    response = post_json(
        api,
        BASE,
        {
            "path": "/content/dam/docs",
            "type": "ASSET_PROCESSING",
            "notify": {"url": receiver.url("/mine?token=abc")},
        },
    )
    assert response.status_code == 200, response.content
    execution = Execution.objects.get(processing_id=response.json()["processingId"])
    assert execution.notify_url == receiver.url("/mine?token=abc")
    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        finished = executions.execution_run_inline(processing_id=execution.processing_id)
    assert finished.status == ExecutionStatus.SUCCESS
    # Written when it ended and queued as tasks, but nothing posted by the process that ended it.
    assert receiver.requests == []
    assert WebhookDelivery.objects.filter(execution=execution).count() == 2

    assert run_queued(DELIVER) == [True, True]

    assert sorted(request.path for request in receiver.requests) == ["/global", "/mine?token=abc"]
    verified = readme_verifier()
    for request in receiver.requests:
        signature = request.headers["X-Guides-Signature"]
        expected = hmac.new(SECRET.encode(), request.body, hashlib.sha256).hexdigest()
        assert signature == f"sha256={expected}"
        assert verified(request.body, signature, SECRET)
        assert not verified(request.body.replace(b"SUCCESS", b"FAILED"), signature, SECRET)
        assert request.headers["Content-Type"] == "application/json"
        body = json.loads(request.body)
        assert body["processingId"] == str(execution.processing_id)
        assert body["status"] == "SUCCESS"
        assert body["triggeredCount"] == 2
    # Each delivered once: the sweep finds nothing more to do.
    assert tasks.webhook_sweep() == 0
    assert len(receiver.requests) == 2
    lines = log_of(execution)
    assert sum("delivered to" in line for line in lines) == 2
    # The token in the query is not written to the log.
    assert not any("token=abc" in line for line in lines)


def test_a_failed_try_is_retried_and_then_delivered(
    tree, receiver, webhook_settings, django_capture_on_commit_callbacks
):
    webhook_settings.GUIDES_WEBHOOK_URLS = [receiver.url("/hook")]
    receiver.answers = [500]
    execution = executions.execution_create(path="/content/dam/docs", created_by="ci")
    with django_capture_on_commit_callbacks(execute=True):
        executions.execution_run_inline(processing_id=execution.processing_id)

    assert run_queued(DELIVER) == [False]
    delivery = WebhookDelivery.objects.get(execution=execution)
    assert delivery.attempts == 1
    assert delivery.delivered_at is None
    assert delivery.last_error.startswith("HTTP 500")
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=10)
    # The retry is a one-off django-q2 schedule at the time it is due.
    retry = Schedule.objects.get(func=DELIVER)
    assert retry.schedule_type == Schedule.ONCE
    assert retry.next_run == delivery.next_attempt_at
    assert retry.args == f"({delivery.pk},)"
    # Not due yet: a sweep now does nothing.
    assert tasks.webhook_sweep() == 0
    assert len(receiver.requests) == 1

    # Once it is due, the sweep (or the schedule) tries again, and the receiver takes it.
    later = delivery.next_attempt_at + timedelta(seconds=1)
    assert webhooks.deliveries_due(now=later) == 1

    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert delivery.delivered_at is not None
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == 2
    assert receiver.requests[0].body == receiver.requests[1].body
    assert receiver.requests[0].headers["X-Guides-Delivery"] == str(delivery.pk)
    # The schedule that comes later finds it delivered and posts nothing.
    assert tasks.webhook_deliver(delivery.pk) is True
    assert len(receiver.requests) == 2
    lines = log_of(execution)
    assert any("failed: HTTP 500" in line and "try 1 of 6" in line for line in lines)
    assert any("delivered to" in line and "try 2 of 6" in line for line in lines)


def test_a_receiver_that_never_takes_it_is_given_up_after_six_tries(
    tree, receiver, webhook_settings, django_capture_on_commit_callbacks
):
    webhook_settings.GUIDES_WEBHOOK_URLS = [receiver.url("/down")]
    receiver.answers = [503] * 10
    execution = executions.execution_create(path="/content/dam/docs", created_by="ci")
    with django_capture_on_commit_callbacks(execute=True):
        executions.execution_run_inline(processing_id=execution.processing_id)
    run_queued(DELIVER)
    delivery = WebhookDelivery.objects.get(execution=execution)
    spent = timedelta(0)
    while delivery.next_attempt_at is not None:
        spent = delivery.next_attempt_at - delivery.created_at
        webhooks.deliveries_due(now=delivery.next_attempt_at + timedelta(seconds=1))
        delivery.refresh_from_db()

    assert delivery.attempts == webhooks.MAX_ATTEMPTS >= 5
    assert delivery.abandoned_at is not None
    assert len(receiver.requests) == webhooks.MAX_ATTEMPTS
    # The tries are spread over ten minutes at least.
    assert spent >= timedelta(minutes=10)
    assert any("given up after 6 tries" in line for line in log_of(execution))


def test_a_cancel_a_failure_and_a_cancel_completed_each_notify_once(
    tree, receiver, webhook_settings, django_capture_on_commit_callbacks, settings
):
    webhook_settings.GUIDES_WEBHOOK_URLS = [receiver.url("/a"), receiver.url("/b")]
    settings.GUIDES_MAX_RUNNING = 1
    write = tree
    (write / "other").mkdir()
    (write / "third").mkdir()
    with django_capture_on_commit_callbacks(execute=True):
        running = executions.execution_create(path="/content/dam/docs", created_by="ci")
        waiting = executions.execution_create(path="/content/dam/other", created_by="ci")
        assert waiting.status == ExecutionStatus.WAITING
        executions.execution_cancel(processing_id=waiting.processing_id, by="ci")
        # Its worker has stopped: the cancel is completed at once (cancel_complete).
        executions.execution_cancel_abandoned(processing_id=running.processing_id, by="ci")
        failing = executions.execution_create(path="/content/dam/third", created_by="ci")
        assert failing.status == ExecutionStatus.IN_PROGRESS
        executions.execution_fail(execution_id=failing.pk, reason="the disk is gone")

    run_queued(DELIVER)
    statuses = sorted(
        (request.path, json.loads(request.body)["processingId"], json.loads(request.body)["status"])
        for request in receiver.requests
    )
    expected = sorted(
        (path, str(execution.processing_id), status)
        for path in ("/a", "/b")
        for execution, status in (
            (waiting, "CANCELLED"),
            (running, "CANCELLED"),
            (failing, "FAILED"),
        )
    )
    assert statuses == expected


def test_a_notify_url_that_is_not_http_is_refused_naming_the_field(
    api, post_json, tree, webhook_settings
):
    for url in ("ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "http://"):
        response = post_json(
            api,
            BASE,
            {"path": "/content/dam/docs", "type": "ASSET_PROCESSING", "notify": {"url": url}},
        )
        assert response.status_code == 400, url
        assert response.json()["error"] == "INVALID_INPUT"
        assert response.json()["field"] == "notify.url"
    assert not Execution.objects.exists()


def test_a_notify_url_is_refused_when_the_server_cannot_sign(api, post_json, tree, settings):
    settings.GUIDES_WEBHOOK_SECRET = ""
    response = post_json(
        api,
        BASE,
        {
            "path": "/content/dam/docs",
            "type": "ASSET_PROCESSING",
            "notify": {"url": "https://ci.example/hook"},
        },
    )
    assert response.status_code == 400
    assert response.json()["field"] == "notify.url"
    assert "GUIDES_WEBHOOK_SECRET" in response.json()["message"]


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"GUIDES_WEBHOOK_URLS": "https://ok.example/x,ftp://bad.example/y"}, "ftp://bad"),
        ({"GUIDES_WEBHOOK_URLS": "https://ok.example/x"}, "GUIDES_WEBHOOK_SECRET"),
        # Credentials are never sent (and would be stored as given): refused, and not shown.
        (
            {
                "GUIDES_WEBHOOK_URLS": "https://user:pw@ci.example/hook",
                "GUIDES_WEBHOOK_SECRET": "s",
            },
            "user name or password",
        ),
    ],
)
def test_the_setting_refuses_to_start_when_it_cannot_be_honoured(env, named, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import guides_processor.settings"],
        env={
            "PATH": "/usr/bin:/bin",
            "GUIDES_DATA_DIR": str(tmp_path),
            "GUIDES_WEBHOOK_SECRET": "",
            **env,
        },
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "GUIDES_WEBHOOK_URLS" in result.stderr
    assert named in result.stderr
    assert ":pw@" not in result.stderr


def test_the_detail_page_lists_the_notifications(
    admin, client, tree, receiver, webhook_settings, django_capture_on_commit_callbacks
):
    webhook_settings.GUIDES_WEBHOOK_URLS = [receiver.url("/hook?secret=zzz")]
    receiver.answers = [500]
    execution = executions.execution_create(path="/content/dam/docs", created_by="ci")
    with django_capture_on_commit_callbacks(execute=True):
        executions.execution_run_inline(processing_id=execution.processing_id)
    run_queued(DELIVER)
    client.force_login(admin)

    url = reverse("guides_processor:execution_detail", args=[execution.processing_id])
    page = client.get(url).content.decode()

    assert "Notifications" in page
    assert receiver.url("/hook") in page
    assert "zzz" not in page
    assert "Retrying" in page
    assert "HTTP 500" in page
