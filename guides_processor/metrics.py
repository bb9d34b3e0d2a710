"""``GET /metrics``: the processor's state in Prometheus' text format.

Every value is read from the database when the page is scraped (a custom collector), not counted
in the process that serves it: the work is done by other processes and other hosts, so only the
database knows the totals. The counters are sums of per-execution counts, which are kept when
retention deletes an execution's log and manifest, so they never go down.

Readable by a user who may read executions (HTTP Basic, or the console's session), or with
``Authorization: Bearer <GUIDES_METRICS_TOKEN>`` for a scraper without an account.
"""

import base64
import binascii
import hmac
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from . import permissions
from .basic_auth import authenticate_basic
from .models import (
    RUNNING_STATUSES,
    AutomationState,
    Execution,
    ExecutionItem,
    ExecutionSlot,
    ExecutionStatus,
    ItemState,
    WebhookDelivery,
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class DatabaseCollector(Collector):
    """The metrics, read from the database at each scrape."""

    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        by_status = dict(
            Execution.objects.order_by().values_list("status").annotate(count=Count("id"))
        )
        executions = GaugeMetricFamily(
            "guides_executions", "Executions by status.", labels=["status"]
        )
        for status in ExecutionStatus.values:
            executions.add_metric([status], by_status.get(status, 0))
        yield executions
        yield GaugeMetricFamily(
            "guides_queue_depth",
            "Executions waiting for a free place to start.",
            value=by_status.get(ExecutionStatus.WAITING, 0),
        )

        totals = Execution.objects.aggregate(
            processed=Sum("processed_count"),
            failed=Sum("failed_count"),
            skipped=Sum("skipped_count"),
            recovered=Sum("recovered_slot_count"),
        )
        items = CounterMetricFamily(
            "guides_items", "Assets processed, by outcome, over all executions.", labels=["outcome"]
        )
        for outcome in ("processed", "failed", "skipped"):
            items.add_metric([outcome], totals[outcome] or 0)
        yield items
        yield CounterMetricFamily(
            "guides_stale_slots_recovered",
            "Worker slots that went silent and were queued again by the watchdog.",
            value=totals["recovered"] or 0,
        )

        running = list(
            Execution.objects.filter(status__in=RUNNING_STATUSES).values_list("pk", flat=True)
        )
        fresh = now - timedelta(seconds=settings.GUIDES_STALE_SECONDS)
        yield GaugeMetricFamily(
            "guides_active_slots",
            "Worker slots of running executions that beat within GUIDES_STALE_SECONDS.",
            value=ExecutionSlot.objects.filter(
                execution_id__in=running, heartbeat_at__gte=fresh
            ).count(),
        )
        # Through the (execution, state) index: only running executions hold leases.
        oldest_expiry = (
            ExecutionItem.objects.filter(
                execution_id__in=running, state=ItemState.PENDING, lease_expires_at__gte=now
            )
            .exclude(lease_owner="")
            .aggregate(oldest=Min("lease_expires_at"))["oldest"]
        )
        age = 0.0
        if oldest_expiry is not None:
            taken = oldest_expiry - timedelta(seconds=settings.GUIDES_LEASE_SECONDS)
            age = max((now - taken).total_seconds(), 0.0)
        yield GaugeMetricFamily(
            "guides_oldest_lease_age_seconds",
            "How long ago the oldest live claim on a batch was taken (0 when none is held).",
            value=age,
        )

        deliveries = WebhookDelivery.objects.aggregate(
            attempts=Sum("attempts"),
            delivered=Count("id", filter=Q(delivered_at__isnull=False)),
            abandoned=Count("id", filter=Q(abandoned_at__isnull=False)),
            pending=Count("id", filter=Q(delivered_at__isnull=True, abandoned_at__isnull=True)),
        )
        yield CounterMetricFamily(
            "guides_webhook_failed_attempts",
            "Tries of webhook notifications that were not answered 2xx.",
            value=(deliveries["attempts"] or 0) - deliveries["delivered"],
        )
        states = GaugeMetricFamily(
            "guides_webhook_deliveries", "Webhook notifications by state.", labels=["state"]
        )
        for state in ("pending", "delivered", "abandoned"):
            states.add_metric([state], deliveries[state])
        yield states

        catchup = AutomationState.objects.filter(name="catchup").first()
        yield CounterMetricFamily(
            "guides_catchup_runs",
            "Catch-up scans of GUIDES_CATCHUP_PATHS (scheduled or after a watched change).",
            value=catchup.runs if catchup else 0,
        )
        yield CounterMetricFamily(
            "guides_catchup_executions",
            "Executions queued by the catch-up.",
            value=Execution.objects.filter(created_by="system", listed_files=True).count(),
        )


def _allowed(request: HttpRequest) -> bool | None:
    """True when the request may read the metrics, False when it is signed in but may not,
    None when it has not said who it is (or said it wrongly)."""
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    token = settings.GUIDES_METRICS_TOKEN
    if scheme.lower() == "bearer":
        if token and hmac.compare_digest(credentials.strip().encode(), token.encode()):
            return True
        return None
    user: Any = None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, colon, password = decoded.partition(":")
        if not colon:
            return None
        user = authenticate_basic(request, username, password)
    elif request.user.is_authenticated:
        user = request.user
    if user is None:
        return None
    return permissions.can_read(user)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    allowed = _allowed(request)
    if allowed is None:
        response = HttpResponse(
            "Sign in to read the metrics.\n", status=401, content_type="text/plain"
        )
        response["WWW-Authenticate"] = 'Basic realm="Guides Asset Processor", charset="UTF-8"'
        return response
    if not allowed:
        return HttpResponse(
            "Only users who may read executions may read the metrics.\n",
            status=403,
            content_type="text/plain",
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE)
