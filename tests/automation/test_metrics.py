"""GET /metrics: Prometheus' text format, read from the database, for readers only."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from guides_processor import executions
from guides_processor.executions.watchdog import requeue_silent_slots
from guides_processor.models import (
    ExecutionItem,
    ExecutionSlot,
    ExecutionStatus,
    WebhookDelivery,
)
from tests.api.conftest import PASSWORD, basic

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-for-the-tests"


def samples(response) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.fixture
def tree(write_tree):
    return write_tree(
        {
            "done/a.dita": "<topic id='a'><title>A</title></topic>",
            "done/b.dita": "<topic id='b'><title>B</title></topic>",
            "done/c.dita": "<topic id='c'><title>C</title>",
            "live/d.md": "# D\n",
            "queued/e.md": "# E\n",
        }
    )


def test_the_metrics_count_what_the_database_holds(admin, tree, settings):
    settings.GUIDES_MAX_RUNNING = 1
    finished = executions.execution_create(path="/content/dam/done", created_by="ci")
    finished = executions.execution_run_inline(processing_id=finished.processing_id)
    live = executions.execution_create(path="/content/dam/live", created_by="ci")
    queued = executions.execution_create(path="/content/dam/queued", created_by="ci")
    assert (live.status, queued.status) == (ExecutionStatus.IN_PROGRESS, ExecutionStatus.WAITING)
    now = timezone.now()
    # A claim taken 30 s ago on the live execution, one slot beating, one gone silent.
    ExecutionItem.objects.create(
        execution=live,
        relpath="live/d.md",
        lease_owner="worker-1",
        lease_expires_at=now
        - timedelta(seconds=30)
        + timedelta(seconds=settings.GUIDES_LEASE_SECONDS),
    )
    slots = ExecutionSlot.objects.filter(execution=live).order_by("number")
    assert slots.count() >= 2
    ExecutionSlot.objects.filter(pk=slots[1].pk).update(heartbeat_at=now - timedelta(hours=1))
    assert requeue_silent_slots(live.pk, now=now, stale_before=now - timedelta(minutes=5)) == 1
    ExecutionSlot.objects.filter(pk=slots[1].pk).update(heartbeat_at=now - timedelta(hours=1))
    WebhookDelivery.objects.create(
        execution=finished,
        url="http://x/",
        event_status="SUCCESS",
        body="{}",
        created_at=now,
        attempts=3,
        delivered_at=now,
    )
    WebhookDelivery.objects.create(
        execution=finished,
        url="http://y/",
        event_status="SUCCESS",
        body="{}",
        created_at=now,
        attempts=2,
        next_attempt_at=now,
    )

    found = samples(Client(headers={"Authorization": basic("admin")}).get("/metrics"))

    assert found[("guides_executions", (("status", "SUCCESS"),))] == 1
    assert found[("guides_executions", (("status", "IN_PROGRESS"),))] == 1
    assert found[("guides_executions", (("status", "WAITING"),))] == 1
    assert found[("guides_executions", (("status", "FAILED"),))] == 0
    assert found[("guides_queue_depth", ())] == 1
    assert (
        found[("guides_items_total", (("outcome", "processed"),))] == finished.processed_count == 2
    )
    assert found[("guides_items_total", (("outcome", "failed"),))] == finished.failed_count == 1
    assert found[("guides_stale_slots_recovered_total", ())] == 1
    assert found[("guides_active_slots", ())] == slots.count() - 1
    assert 29 <= found[("guides_oldest_lease_age_seconds", ())] < 60
    assert found[("guides_webhook_failed_attempts_total", ())] == (3 - 1) + 2
    assert found[("guides_webhook_deliveries", (("state", "pending"),))] == 1
    assert found[("guides_webhook_deliveries", (("state", "delivered"),))] == 1


def test_a_bearer_token_or_a_session_with_read_permission_may_read(admin, settings):
    settings.GUIDES_METRICS_TOKEN = TOKEN
    staff = User.objects.create_user("reader", password=PASSWORD, is_staff=True)

    by_token = Client(headers={"Authorization": f"Bearer {TOKEN}"}).get("/metrics")
    session = Client()
    session.force_login(staff)

    assert ("guides_queue_depth", ()) in samples(by_token)
    assert ("guides_queue_depth", ()) in samples(session.get("/metrics"))


def test_others_are_refused(admin, settings):
    settings.GUIDES_METRICS_TOKEN = TOKEN
    User.objects.create_user("outsider", password=PASSWORD)

    anonymous = Client().get("/metrics")
    wrong_token = Client(headers={"Authorization": "Bearer not-it"}).get("/metrics")
    wrong_password = Client(headers={"Authorization": basic("admin", "wrong")}).get("/metrics")
    outsider = Client(headers={"Authorization": basic("outsider")}).get("/metrics")

    assert anonymous.status_code == 401
    assert anonymous["WWW-Authenticate"].startswith("Basic")
    assert wrong_token.status_code == 401
    assert wrong_password.status_code == 401
    assert outsider.status_code == 403
    assert b"guides_" not in anonymous.content + outsider.content


def test_without_a_token_configured_an_empty_bearer_is_refused(admin, settings):
    settings.GUIDES_METRICS_TOKEN = ""

    assert Client(headers={"Authorization": "Bearer "}).get("/metrics").status_code == 401
    assert Client(headers={"Authorization": "Bearer"}).get("/metrics").status_code == 401
