"""Webhooks: when an execution ends (SUCCESS, FAILED, CANCELLED) its status object is POSTed to
each of ``GUIDES_WEBHOOK_URLS`` and to the start request's ``notify.url``.

The end of an execution writes one ``WebhookDelivery`` per address in the transaction that ends
it, so a notification exists exactly when the end does; the POST itself is a django-q2 task
enqueued once that transaction commits, never made on a request's path. A try that fails is
tried again after ``RETRY_DELAYS`` (a one-off django-q2 schedule), and the ``webhook_sweep`` task,
every minute, tries whatever is due, so that a delivery outlives the worker that held it.

A retry comes up to ``SCHEDULER_TICK_SECONDS`` after it is due: django-q2 runs due schedules
only that often.

Every body is signed: ``X-Guides-Signature: sha256=<hex HMAC-SHA256 of the body bytes>``, keyed
with ``GUIDES_WEBHOOK_SECRET``. Without a secret no notification is sent (the settings refuse
``GUIDES_WEBHOOK_URLS`` without one, and a start request's ``notify`` is refused). Deliveries
written by a process that had the secret may fall due in one that has not (another host, or the
server restarted without it): that process sends nothing, spends no try, and leaves them due,
marked ``WAITING_FOR_SECRET``, for a process that has the secret (``delivery_attempt``).
"""

import functools
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task, schedule

from .. import selectors
from ..engine import sql
from ..engine.loglines import INFO, WARN
from ..models import Execution, WebhookDelivery
from ..selectors.webhooks import WAITING_FOR_SECRET
from ..text import one_line
from ..webhook_urls import redacted, url_problem
from .errors import InvalidInput

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Guides-Signature"
DELIVERY_HEADER = "X-Guides-Delivery"
# Seconds to wait after each failed try: six tries over about ten and a half minutes.
RETRY_DELAYS = (15, 45, 90, 180, 300)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# django-q2's cluster looks for due schedules this often (``Sentinel.guard``), so a retry's one-off
# schedule runs up to this long after it is due; the README says so.
SCHEDULER_TICK_SECONDS = 30
# A try holds its delivery for this long beyond the request's timeout; a worker that dies
# meanwhile leaves it to the sweep once it has passed.
_CLAIM_MARGIN_SECONDS = 60
# How much of a receiver's error answer is kept.
_ERROR_CHARS = 200


def sign(body: bytes, secret: str) -> str:
    """The value of ``X-Guides-Signature`` for ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def notify_url_checked(url: object) -> str:
    """The start request's ``notify.url`` as stored ("" for None, no ``notify``); InvalidInput
    naming ``notify.url`` when it is empty, not an http(s) address, or this server cannot sign."""
    if url is None:
        return ""
    if not isinstance(url, str):
        raise InvalidInput("notify.url must be a string.", field="notify.url")
    # Refused like an empty path: a client that sends "" most likely lost its address, and
    # leaving notify out is the way to ask for no notification.
    if not url.strip():
        raise InvalidInput(
            "notify.url must not be empty; give an http:// or https:// address, or leave "
            "notify out.",
            field="notify.url",
        )
    problem = url_problem(url)
    if problem:
        raise InvalidInput(f"notify.url {problem}.", field="notify.url")
    if not settings.GUIDES_WEBHOOK_SECRET:
        raise InvalidInput(
            "notify.url cannot be used: this server sends no notifications "
            "(GUIDES_WEBHOOK_SECRET is not set).",
            field="notify.url",
        )
    return url


def carried_notify_url(original: Execution) -> str | None:
    """The ``notify.url`` a restart carries over from ``original``: its own while this server
    can still sign and the address is still accepted (one stored before addresses with
    credentials were refused is dropped, not a reason to refuse the restart); None otherwise."""
    url = original.notify_url
    if not url or not settings.GUIDES_WEBHOOK_SECRET or url_problem(url):
        return None
    return url


def _addresses(execution: Execution) -> tuple[list[str], list[str]]:
    """The addresses to notify, and why others are not: an execution resumed from one started
    before an address was refused (credentials in it) carries its ``notify_url`` unchecked."""
    addresses = list(dict.fromkeys(settings.GUIDES_WEBHOOK_URLS))
    refused = []
    if execution.notify_url and execution.notify_url not in addresses:
        problem = url_problem(execution.notify_url)
        if problem:
            refused.append(f"No notification to {redacted(execution.notify_url)}: it {problem}.")
        else:
            addresses.append(execution.notify_url)
    return addresses, refused


def deliveries_create(*, execution_id: int, now: datetime) -> int:
    """Write the notifications of an execution that has just ended; returns how many.

    Called in the transaction that ends the execution, after its summary is written (the body is
    the status object as it stands then). The tries are enqueued once that transaction commits.
    """
    execution = Execution.objects.get(pk=execution_id)
    addresses, refused = _addresses(execution)
    if refused:
        sql.append_log(execution_id=execution_id, lines=[(WARN, line) for line in refused], now=now)
    if not addresses:
        return 0
    if not settings.GUIDES_WEBHOOK_SECRET:
        sql.append_log(
            execution_id=execution_id,
            lines=[(WARN, "No notification sent: GUIDES_WEBHOOK_SECRET is not set.")],
            now=now,
        )
        return 0
    body = json.dumps(selectors.execution_status(execution), separators=(",", ":"))
    created = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            execution_id=execution_id,
            url=url,
            event_status=execution.status,
            body=body,
            created_at=now,
            next_attempt_at=now,
        )
        for url in addresses
    )
    ids = [delivery.pk for delivery in created]
    if None in ids:  # a database that returns no ids from a bulk insert
        ids = list(
            WebhookDelivery.objects.filter(execution_id=execution_id, created_at=now)
            .order_by("id")
            .values_list("pk", flat=True)
        )
    for delivery_id in ids:
        transaction.on_commit(functools.partial(_enqueue, delivery_id))
    return len(ids)


def _enqueue(delivery_id: int) -> None:
    async_task(
        "guides_processor.tasks.webhook_deliver",
        delivery_id,
        task_name=f"webhook-{delivery_id}",
    )


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not followed: a POST turned into a GET loses its body, and a
    receiver must not be able to send the notification (or the worker) somewhere else."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, delivery_id: int) -> str | None:
    """POST ``body`` to ``url``; None when the receiver answered 2xx, else what went wrong."""
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "guides-asset-processor",
            SIGNATURE_HEADER: sign(body, settings.GUIDES_WEBHOOK_SECRET),
            DELIVERY_HEADER: str(delivery_id),
        },
    )
    timeout = settings.GUIDES_WEBHOOK_TIMEOUT_SECONDS
    try:
        with _opener.open(request, timeout=timeout) as response:
            if 200 <= response.status < 300:
                return None
            return f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        if 300 <= exc.code < 400:
            return f"HTTP {exc.code} (redirects are not followed)"
        detail = exc.read(_ERROR_CHARS).decode("utf-8", "replace").strip()
        return f"HTTP {exc.code}" + (f": {detail}" if detail else "")
    except TimeoutError:
        return f"no answer within {timeout} s"
    except urllib.error.URLError as exc:
        return f"not reached ({exc.reason})"
    except (OSError, ValueError) as exc:  # a reset connection, a malformed answer
        return f"not reached ({exc})"


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> bool:
    """Try a delivery if it is due and no other worker is trying it; True once delivered.

    The claim is a compare-and-swap on ``next_attempt_at`` (moved past the request's timeout),
    so a retry schedule and the sweep that both find a delivery due make one try between them.

    A process without ``GUIDES_WEBHOOK_SECRET`` never sends: signed with an empty key, a body
    would be forgeable by anyone, and the receiver would count it delivered. It leaves the
    delivery due, its tries untouched, for a process that has the secret, and marks it
    ``WAITING_FOR_SECRET`` (on the detail page and, once, in the execution's log); see
    ``deliveries_wait_for_secret``. Returns False then.
    """
    now = now or timezone.now()
    if not settings.GUIDES_WEBHOOK_SECRET:
        deliveries_wait_for_secret(delivery_ids=[delivery_id], now=now)
        return False
    hold = settings.GUIDES_WEBHOOK_TIMEOUT_SECONDS + _CLAIM_MARGIN_SECONDS
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        delivered_at__isnull=True,
        abandoned_at__isnull=True,
        next_attempt_at__lte=now,
        attempts__lt=MAX_ATTEMPTS,
    ).update(
        attempts=F("attempts") + 1,
        last_attempt_at=now,
        next_attempt_at=now + timedelta(seconds=hold),
    )
    if not claimed:
        return WebhookDelivery.objects.filter(pk=delivery_id, delivered_at__isnull=False).exists()
    delivery = WebhookDelivery.objects.get(pk=delivery_id)
    problem = url_problem(delivery.url)
    if problem:
        _abandon_unsendable(delivery, problem, now=now)
        return False
    error = _post(delivery.url, delivery.body.encode(), delivery.pk)
    _record(delivery, error, started=now)
    return error is None


def _abandon_unsendable(delivery: WebhookDelivery, problem: str, *, now: datetime) -> None:
    """Give up a delivery to an address written before such addresses were refused (one with a
    password in it): a try could never arrive, and its error would quote the password."""
    error = f"Not sent: the address {problem}."
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            abandoned_at=now, next_attempt_at=None, last_error=error
        )
        sql.append_log(
            execution_id=delivery.execution_id,
            lines=[
                (
                    WARN,
                    f"Notification of {delivery.event_status} to {redacted(delivery.url)} "
                    f"given up: {error}",
                )
            ],
            now=now,
        )


def deliveries_wait_for_secret(*, delivery_ids: list[int], now: datetime) -> int:
    """Mark those of these deliveries that are due as waiting for a process with
    ``GUIDES_WEBHOOK_SECRET`` (called by one without it, which sends nothing); returns how many
    are waiting. Each is written to its execution's log when it starts waiting, not each time a
    sweep finds it again; the process's log warns each time."""
    # One being tried elsewhere is not due (its claim moved next_attempt_at on): left alone.
    due = WebhookDelivery.objects.filter(
        pk__in=delivery_ids,
        delivered_at__isnull=True,
        abandoned_at__isnull=True,
        next_attempt_at__lte=now,
    )
    waiting = due.count()
    for delivery in due.exclude(last_error=WAITING_FOR_SECRET):
        # A compare-and-swap, so that two processes without the secret log it once.
        marked = (
            due.filter(pk=delivery.pk)
            .exclude(last_error=WAITING_FOR_SECRET)
            .update(last_error=WAITING_FOR_SECRET)
        )
        if marked:
            sql.append_log(
                execution_id=delivery.execution_id,
                lines=[
                    (
                        WARN,
                        f"Notification of {delivery.event_status} to {redacted(delivery.url)} "
                        f"not sent: this process has no GUIDES_WEBHOOK_SECRET to sign it with; "
                        f"it waits for one that has.",
                    )
                ],
                now=now,
            )
    if waiting:
        logger.warning(
            "%d webhook notification(s) due but not sent: GUIDES_WEBHOOK_SECRET is not set in "
            "this process; they wait for one that has it",
            waiting,
        )
    return waiting


def _record(delivery: WebhookDelivery, error: str | None, *, started: datetime) -> None:
    """Write the outcome of a try that began at ``started``; the next is due a delay after the
    try ended (a receiver that timed out gets the whole delay, as the README promises)."""
    now = max(timezone.now(), started)
    where = redacted(delivery.url)
    tries = f"try {delivery.attempts} of {MAX_ATTEMPTS}"
    with transaction.atomic():
        if error is None:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                delivered_at=now, next_attempt_at=None, last_error=""
            )
            line = (
                INFO,
                f"Notification of {delivery.event_status} delivered to {where} ({tries}).",
            )
        elif delivery.attempts >= MAX_ATTEMPTS:
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                abandoned_at=now, next_attempt_at=None, last_error=one_line(error)
            )
            line = (
                WARN,
                f"Notification of {delivery.event_status} to {where} failed: {error}; "
                f"given up after {MAX_ATTEMPTS} tries.",
            )
        else:
            delay = RETRY_DELAYS[delivery.attempts - 1]
            due = now + timedelta(seconds=delay)
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                next_attempt_at=due, last_error=one_line(error)
            )
            schedule(
                "guides_processor.tasks.webhook_deliver",
                delivery.pk,
                name=f"webhook-{delivery.pk}-try-{delivery.attempts + 1}",
                schedule_type=Schedule.ONCE,
                next_run=due,
            )
            line = (
                WARN,
                f"Notification of {delivery.event_status} to {where} failed: {error} ({tries}); "
                f"next try in {delay} s.",
            )
        sql.append_log(execution_id=delivery.execution_id, lines=[line], now=now)
    if error is not None:
        logger.warning("webhook delivery %s to %s failed: %s", delivery.pk, where, error)


def deliveries_due(*, now: datetime | None = None) -> int:
    """Try every delivery that is due (a retry whose schedule was lost, a try whose worker
    died); give up those whose last try never reported back. Returns how many were tried: none
    in a process without ``GUIDES_WEBHOOK_SECRET``, which leaves them waiting for one that has it
    (``delivery_attempt``)."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(next_attempt_at__lte=now)
    with transaction.atomic():
        for delivery in due.filter(attempts__gte=MAX_ATTEMPTS).select_for_update():
            WebhookDelivery.objects.filter(pk=delivery.pk, next_attempt_at__lte=now).update(
                abandoned_at=now, next_attempt_at=None
            )
            sql.append_log(
                execution_id=delivery.execution_id,
                lines=[
                    (
                        WARN,
                        f"Notification of {delivery.event_status} to {redacted(delivery.url)}: "
                        f"its last try never reported back; given up after {MAX_ATTEMPTS} tries.",
                    )
                ],
                now=now,
            )
    tried = 0
    waiting = due.filter(attempts__lt=MAX_ATTEMPTS).order_by("next_attempt_at")
    if not settings.GUIDES_WEBHOOK_SECRET:
        deliveries_wait_for_secret(delivery_ids=list(waiting.values_list("pk", flat=True)), now=now)
        return 0
    # A bounded round: what is left is due at the next one, a minute later.
    for delivery_id in list(waiting.values_list("pk", flat=True)[:100]):
        delivery_attempt(delivery_id=delivery_id, now=now)
        tried += 1
    return tried
