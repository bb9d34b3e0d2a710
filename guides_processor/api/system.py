"""``GET /bin/guides/v1/system/status``: whether the installation can work, for a reader.

The database is asked first, before anyone is authenticated (authentication itself needs it):
when it does not answer, the answer is 503 with ``"database": false`` and nothing that needs
it. Otherwise the caller must be a reader (``READ``), and the answer says whether the broker
answers, how many worker processes beat (``WorkerHeartbeat``), and the state of the catch-up
and of the watch.
"""

from typing import Any

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django_q.brokers import get_broker
from django_q.conf import Conf
from ninja import Field, Router, Schema
from ninja.errors import AuthenticationError, AuthorizationError

from .. import cluster
from ..executions.catchup import catchup_state
from ..executions.watch import watch_state
from .auth import READ_AUTH
from .errors import RENDERER, close_other_methods, error, unauthenticated
from .schemas import responses

router = Router()


class CatchupOut(Schema):
    enabled: bool = Field(
        description="Whether the scheduled catch-up runs (GUIDES_CATCHUP_SECONDS > 0)."
    )
    seconds: int = Field(description="GUIDES_CATCHUP_SECONDS: the period of the catch-up.")
    paths: list[str] = Field(description="GUIDES_CATCHUP_PATHS: the folders it looks under.")
    runs: int = Field(description="Catch-up scans so far, scheduled or after a watched change.")
    lastRunAt: str | None = Field(description="When the last scan ended (ISO 8601), if any.")
    nextRunAt: str | None = Field(description="When the next scheduled scan is due (ISO 8601).")
    lastRun: dict[str, Any] | None = Field(
        description="What the last scan found: trigger, result (queued or nothing), scanned, "
        "new, changed, deleted, seconds, and the processingId of the execution it queued."
    )


class WatchOut(Schema):
    enabled: bool = Field(description="GUIDES_WATCH: whether file changes trigger a catch-up.")
    debounceSeconds: int = Field(
        description="GUIDES_WATCH_DEBOUNCE_SECONDS: the quiet time after the last change."
    )
    active: bool = Field(description="Whether a worker process holds the watch now.")
    holder: str | None = Field(description="The process that watches (host:pid), if any.")


class SystemStatusOut(Schema):
    database: bool = Field(description="Whether the database answers.")
    broker: bool = Field(description="Whether the task broker answers.")
    workers: int = Field(description="Worker processes that beat within three heartbeats.")
    watch: WatchOut | None = Field(
        description="The change trigger (null when the database is away)."
    )
    catchup: CatchupOut | None = Field(
        description="The scheduled catch-up (null when the database is away)."
    )


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        connection.close()
        return False
    return True


def _broker_answers(database: bool) -> bool:
    if Conf.ORM:
        return database  # the queue is a table of the database (its ping says yes regardless)
    try:
        return bool(get_broker().ping())
    except Exception:  # any failure to reach it (connection refused, timeout, auth) is a no
        return False


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _json(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    return HttpResponse(
        RENDERER.render(request, body, response_status=status),
        status=status,
        content_type=f"{RENDERER.media_type}; charset={RENDERER.charset}",
    )


@router.get(
    "/system/status",
    auth=None,
    response={**responses(SystemStatusOut, 401, 403), 503: SystemStatusOut},
    summary="Whether the database, the broker and the workers answer",
    description="Answered before authentication with 503 and database false when the "
    "database does not answer; otherwise for readers (HTTP Basic or the session).",
)
def system_status(request: HttpRequest) -> HttpResponse:
    if not _database_answers():
        body = {
            "database": False,
            "broker": _broker_answers(False),
            "workers": 0,
            "watch": None,
            "catchup": None,
        }
        return _json(request, 503, body)
    try:
        user = next((user for auth in READ_AUTH if (user := auth(request))), None)
    except AuthorizationError as refusal:
        return error(request, 403, "FORBIDDEN", str(refusal))
    if user is None:
        return unauthenticated(request, AuthenticationError())
    catchup = catchup_state()
    catchup["lastRunAt"] = _iso(catchup["lastRunAt"])
    catchup["nextRunAt"] = _iso(catchup["nextRunAt"])
    return _json(
        request,
        200,
        {
            "database": True,
            "broker": _broker_answers(True),
            "workers": cluster.workers_alive(),
            "watch": watch_state(),
            "catchup": catchup,
        },
    )


# The methods this module's URLs answer (api/__init__.py adds them to the guard's table).
ALLOWED = close_other_methods(router)
