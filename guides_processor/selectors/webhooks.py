"""The notifications of an execution's end, as the detail page lists them."""

from dataclasses import dataclass
from datetime import datetime

from ..models import Execution, WebhookDelivery
from ..webhook_urls import redacted

# The last error of a notification that fell due in a process without GUIDES_WEBHOOK_SECRET, which
# sends nothing (executions/webhooks.py): it is not a failed try, so it is shown as waiting.
WAITING_FOR_SECRET = (
    "Not sent: GUIDES_WEBHOOK_SECRET is not set where it fell due; it waits for a worker that "
    "has it."
)
WAITING_STATE = "Waiting for GUIDES_WEBHOOK_SECRET"


@dataclass(frozen=True)
class DeliveryRow:
    """One notification: where (without credentials or query), of which end, and how it went."""

    url: str
    event_status: str
    state: str  # "Queued", "Retrying", WAITING_STATE, "Delivered" or "Given up"
    attempts: int
    last_error: str
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None


def execution_deliveries(execution: Execution, *, limit: int = 20) -> list[DeliveryRow]:
    """The latest ``limit`` notifications of the execution (a resumed one may end again), newest
    first."""
    rows = []
    for delivery in WebhookDelivery.objects.filter(execution=execution).order_by("-id")[:limit]:
        if delivery.delivered_at:
            state = "Delivered"
        elif delivery.abandoned_at:
            state = "Given up"
        elif delivery.last_error == WAITING_FOR_SECRET:
            state = WAITING_STATE
        else:
            state = "Retrying" if delivery.attempts else "Queued"
        rows.append(
            DeliveryRow(
                url=redacted(delivery.url),
                event_status=delivery.event_status,
                state=state,
                attempts=delivery.attempts,
                last_error=delivery.last_error,
                delivered_at=delivery.delivered_at,
                # A waiting one is due already: the time it fell due is no promise.
                next_attempt_at=None if state == WAITING_STATE else delivery.next_attempt_at,
                last_attempt_at=delivery.last_attempt_at,
            )
        )
    return rows
