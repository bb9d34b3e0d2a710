"""The JSON API at ``/bin/guides/v1/assets/process*`` (DESIGN section 4), with django-ninja.

Field names, casing and nesting are those of the product page (``seeds/asset-processing-api.md``);
fields we add come after the seed's and never rename one. Every endpoint is a few lines over
``services`` (writes) and ``selectors`` (reads), so the console, the API and the command line
cannot disagree. Path validation lives in services; here its errors are only mapped.

Every error, ninja's own included, has one shape: ``{"error": CODE, "message": sentence}``, plus
``field`` when one input is at fault. Nothing a client sends may produce a 500.

Authentication is HTTP Basic (scripts) or the Django session (the console); a session write must
carry the CSRF token, a Basic one need not. A browser resends Basic credentials typed into its own
prompt with any request, forged ones included, so a write that a browser sends from another origin
is refused (``middleware.ApiGuardMiddleware``) and a write body must be declared JSON, which no
page can send to another origin without the browser asking first. Failed sign-ins are throttled
by django-axes (``basic_auth.py``, ``settings.py``). Reads need ``can_read``, writes
``can_run`` (``permissions.py``).
"""

import json
import logging
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import wraps
from typing import Annotated, Any, Literal

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Field, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBasicAuth
from ninja.utils import check_csrf
from pydantic import BaseModel, BeforeValidator, ConfigDict

from . import executions as services
from . import permissions, selectors
from .basic_auth import authenticate_basic
from .models import CalculationStatus, Execution, ExecutionStatus
from .processing import ASSET_TYPES

logger = logging.getLogger(__name__)

REALM = "Guides Asset Processor"
# Where the API is mounted (urls.py); the middleware answers for everything below it.
PREFIX = "/bin/guides/v1/"
# History returns at most this many executions, whatever ``limit`` asks for.
HISTORY_LIMIT_MAX = 500
HISTORY_LIMIT_DEFAULT = 20
# Offsets, limits and tails beyond this are refused: they fit every database's integer (and a
# JSON number), and no log is that long.
OFFSET_MAX = 2**53 - 1
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


# --- authentication and permission -----------------------------------------------------------


@dataclass(frozen=True)
class Access:
    """What an operation needs of an authenticated user, and the 403 sentence when it is missing."""

    allows: Callable[[Any], bool]
    refusal: str

    def check(self, user: Any) -> Any:
        if not self.allows(user):
            raise AuthorizationError(403, self.refusal.format(user=user.get_username()))
        return user


READ = Access(permissions.can_read, "{user} may not read executions: only staff users may.")
RUN = Access(
    permissions.can_run,
    "{user} may not start, cancel, resume or restart processing: that needs the "
    f"{permissions.RUN_PERMISSION} permission (superusers have it).",
)


class BasicAuth(HttpBasicAuth):
    """HTTP Basic, checked by Django's authentication backends; for scripts (``curl -u``)."""

    def __init__(self, access: Access) -> None:
        self.access = access
        super().__init__()

    def authenticate(self, request: HttpRequest, username: str, password: str) -> Any:
        user = authenticate_basic(request, username, password)
        if user is None:
            return None
        if (
            request.method not in SAFE_METHODS
            and request.headers.get("Sec-Fetch-Site") == "cross-site"
        ):
            # A browser resends credentials typed into its own prompt with any request, forged
            # ones included; scripts send no Sec-Fetch-Site at all.
            raise AuthorizationError(
                403, "A cross-site browser request may not write with HTTP Basic credentials."
            )
        return self.access.check(user)


class SessionAuth(APIKeyCookie):
    """The console's Django session. A write must pass Django's CSRF check.

    Unlike ninja's own session auth, the CSRF check runs only once a session is found: a request
    with no credentials at all is a 401, not a CSRF failure.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self, access: Access) -> None:
        self.access = access
        super().__init__(csrf=True)  # also tells the docs page to send the token

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise AuthorizationError(
                403,
                "CSRF check failed: a write authenticated by the session must send the CSRF "
                "token in the X-CSRFToken header (scripts should use HTTP Basic instead).",
            )
        return self.access.check(user)


READ_AUTH = [BasicAuth(READ), SessionAuth(READ)]
RUN_AUTH = [BasicAuth(RUN), SessionAuth(RUN)]


def _username(request: HttpRequest) -> str:
    return str(request.auth.get_username())  # type: ignore[attr-defined]


# --- schemas ---------------------------------------------------------------------------------


class In(BaseModel):
    """A request: plain pydantic, so that a list or a string is not read as an object's attributes
    (ninja's Schema would), and fields it does not know are ignored."""


class Out(Schema):
    """A response object: clients must accept fields added in later versions."""

    model_config = ConfigDict(extra="allow")


def _as_list(value: object) -> object:
    """``excludedPaths`` given as one string (the seed types it String) or null."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


class FilterIn(In):
    fileTypes: list[str] | None = Field(
        None,
        description="Only assets of these types are processed; all types when empty or absent. "
        "Any of " + ", ".join(ASSET_TYPES) + ".",
    )
    filterProcessedAssets: bool = Field(
        False,
        description="Skip assets whose size, modification time and checksum are unchanged since "
        "their last successful processing.",
    )
    startTime: int | None = Field(
        None, description="Only assets modified at or after this time (epoch milliseconds)."
    )
    endTime: int | None = Field(
        None, description="Only assets modified at or before this time (epoch milliseconds)."
    )


class NotifyIn(In):
    url: str = Field(
        description="An http:// or https:// address that is POSTed the status object, signed, "
        "when the execution ends (see the README's Webhooks section)."
    )


class StartIn(In):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "path": "/content/dam/status-fetch1",
                    "excludedPaths": ["content/dam/status-fetch1/excluded-folder"],
                    "type": "ASSET_PROCESSING",
                }
            ]
        }
    )

    path: str = Field(
        description="The folder to process: /content/dam or a folder below it. A missing leading "
        "slash is added; '.' and '..' segments and symbolic links are refused.",
        examples=["/content/dam/status-fetch1"],
    )
    excludedPaths: Annotated[list[str], BeforeValidator(_as_list)] = Field(
        default_factory=list,
        description="Sub-folders of path that are not processed, with or without the leading "
        "slash. A single string is taken as a list of one.",
        examples=[["content/dam/status-fetch1/excluded-folder"]],
    )
    type: Literal["ASSET_PROCESSING"] = Field(
        description="The kind of processing; ASSET_PROCESSING is the only one."
    )
    filter: FilterIn | None = Field(
        None, description="Optional limits on which assets of the folder are processed."
    )
    notify: NotifyIn | None = Field(
        None, description="Optional: where to be told when the execution ends."
    )


class ProcessingIdBody(In):
    processingId: str | None = Field(
        None, description="The execution to act on (or give it in the query string)."
    )


def _absent_not_null(schema: dict[str, Any]) -> None:
    """An optional query parameter is left out, never null: document it as its plain type."""
    kinds = [kind for kind in schema.pop("anyOf", []) if kind.get("type") != "null"]
    if len(kinds) == 1:
        schema.update(kinds[0])


class ProcessingIdQuery(In):
    processingId: str = Field(description="The processingId returned when the job was started.")


class OptionalProcessingIdQuery(In):
    processingId: str | None = Field(
        None,
        description="The execution to act on (or give it in the JSON body).",
        json_schema_extra=_absent_not_null,
    )


class LogsQuery(In):
    processingId: str = Field(description="The processingId returned when the job was started.")
    offset: int | None = Field(
        None,
        json_schema_extra=_absent_not_null,
        ge=0,
        le=OFFSET_MAX,
        description="The line number to start at (0-based). Default 0. Not with tail.",
    )
    limit: int | None = Field(
        None,
        json_schema_extra=_absent_not_null,
        ge=1,
        le=OFFSET_MAX,
        description=f"The most lines to return: default {selectors.LOG_LIMIT_DEFAULT}, larger "
        f"values are capped at {selectors.LOG_LIMIT_MAX}. Not with tail.",
    )
    tail: int | None = Field(
        None,
        json_schema_extra=_absent_not_null,
        ge=1,
        le=OFFSET_MAX,
        description=f"Return the last N lines instead (capped at {selectors.LOG_LIMIT_MAX}); "
        "the response's offset says where they start.",
    )


class HistoryQuery(In):
    limit: int = Field(
        HISTORY_LIMIT_DEFAULT,
        ge=1,
        le=OFFSET_MAX,
        description=f"How many executions, newest first: default {HISTORY_LIMIT_DEFAULT}, "
        f"larger values are capped at {HISTORY_LIMIT_MAX}.",
    )


class ErrorOut(Out):
    error: str = Field(
        description="A stable code: INVALID_INPUT, MALFORMED_JSON, UNAUTHORIZED, FORBIDDEN, "
        "NOT_FOUND, METHOD_NOT_ALLOWED, CONFLICT, TOO_LARGE, UNSUPPORTED_MEDIA_TYPE, "
        "TOO_MANY_REQUESTS or INTERNAL_ERROR."
    )
    message: str = Field(description="What went wrong, in a sentence for a person.")
    field: str | None = Field(
        None, description="The input at fault, such as path or excludedPaths[0], when one is."
    )


class StartOut(Out):
    processingId: str = Field(description="The id of the new execution, to poll its status with.")


class MigrationSetOut(Out):
    totalFiles: int = Field(description="Assets the calculation found to process.")
    calculationStatus: str = Field(
        description="The state of the folder walk that finds the assets.",
        json_schema_extra={"enum": list(CalculationStatus.values)},
    )


class EtaOut(Out):
    value: int = Field(description="Estimated time left; 0 when not running or not yet known.")
    unit: Literal["SECONDS"] = Field(description="The unit of value.")


class FilterOut(Out):
    fileTypes: list[str] = Field(description="Asset types processed; empty means all.")
    filterProcessedAssets: bool = Field(description="Whether unchanged assets are skipped.")
    startTime: int | None = Field(
        description="Only assets modified at or after this time (epoch ms); null when unset."
    )
    endTime: int | None = Field(
        description="Only assets modified at or before this time (epoch ms); null when unset."
    )


class StatusOut(Out):
    processingId: str = Field(description="The id of the execution.")
    path: str = Field(description="The processed folder.")
    excludedPaths: list[str] = Field(description="Sub-folders that are not processed.")
    status: str = Field(
        description="WAITING (queued), IN_PROGRESS, CANCELLING (workers are stopping), SUCCESS, "
        "FAILED (the job itself could not go on) or CANCELLED.",
        json_schema_extra={"enum": list(ExecutionStatus.values)},
    )
    triggeredCount: int = Field(description="Assets processed so far, whatever their outcome.")
    startedAt: int = Field(description="When processing started (epoch ms); 0 before it has.")
    completedAt: int = Field(description="When the execution finished (epoch ms); 0 before.")
    hasLogs: bool = Field(description="Whether the execution has log lines.")
    createdBy: str = Field(description="The user who started it.")
    type: str = Field(description="The kind of processing: ASSET_PROCESSING.")
    migrationSet: MigrationSetOut = Field(description="The calculation of what to process.")
    eta: EtaOut = Field(description="Estimated time left while running.")
    comments: str = Field(description="A summary of the outcome, or why it failed or stopped.")
    restartable: bool = Field(description="Whether restart is allowed (it is finished).")
    resumable: bool = Field(description="Whether resume is allowed (cancelled or failed).")
    cancellable: bool = Field(description="Whether cancel is allowed (waiting or in progress).")
    filter: FilterOut = Field(description="Which assets of the folder are processed.")
    processedCount: int = Field(description="Assets processed successfully.")
    failedCount: int = Field(description="Assets that could not be processed.")
    skippedCount: int = Field(description="Assets skipped as unchanged.")
    brokenReferenceCount: int = Field(description="Broken references found in the assets.")
    restartedFrom: str | None = Field(
        description="The processingId this execution restarts; null when it is not a restart."
    )
    createdAt: int = Field(description="When the execution was created (epoch ms).")
    logLineCount: int = Field(description="Lines in the log.")
    calculationDone: bool = Field(description="Whether the folder walk is complete.")


class HistoryOut(Out):
    executionHistory: list[StatusOut] = Field(description="Executions, newest first.")


class LogEntryOut(Out):
    line: int = Field(description="The line number, from 0.")
    time: int = Field(description="When the line was written (epoch ms).")
    level: str = Field(description="INFO, WARN or ERROR.")
    message: str = Field(description="The text of the line.")


class LogsOut(Out):
    lines: list[str] = Field(
        description='The lines, each "<ISO time> <LEVEL> <message>", such as '
        '"2026-11-22T10:00:00.123Z INFO Processed /content/dam/a.dita (DITATOPIC): 0 references."'
    )
    limit: int = Field(description="The limit applied (after the cap), or the tail size.")
    offset: int = Field(description="The line number of the first line returned.")
    hasMore: bool = Field(description="Whether lines exist after this page.")
    total: int = Field(description="Lines in the log when the page was read.")
    entries: list[LogEntryOut] = Field(description="The same lines as structured entries.")


def _responses(ok: Any, *errors: int) -> dict[int, Any]:
    """The documented answers: ``ok`` for 200, the error shape for ``errors`` and for 429 (any
    authenticated request may meet the sign-in throttle)."""
    return {200: ok, **dict.fromkeys((*errors, 429), ErrorOut)}


# --- the API and its errors --------------------------------------------------------------------


class _NotAnObject(ValueError):
    """A body that is JSON but not an object: every body of this API is one."""


def _lone_surrogate(value: Any, where: str = "") -> str | None:
    """Where in a parsed JSON value a string holds a lone surrogate (``"\\ud800"``), or None.

    JSON may escape one, but it is no character: no file name or database text can hold it.
    """
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where
        return None
    items: Iterator[tuple[str, Any]]
    if isinstance(value, dict):
        items = ((f"{where}.{key}" if where else str(key), item) for key, item in value.items())
    elif isinstance(value, list):
        items = ((f"{where}[{index}]", item) for index, item in enumerate(value))
    else:
        return None
    # Keys are not looked at: the schemas ignore keys they do not know.
    for place, item in items:
        found = _lone_surrogate(item, place)
        if found is not None:
            return found
    return None


class _LoneSurrogate(ValueError):
    """A string of the JSON body holds a lone surrogate; ``field`` says which."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


class _NotJson(ValueError):
    """A body sent with another Content-Type than application/json."""


class _JsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        # Only a body declared as JSON is read: a browser may send a text/plain or form body to
        # another origin without asking first, never a JSON one. A write without a body (cancel
        # with processingId in the query string) does not come here and needs no Content-Type.
        media_type = (request.content_type or "").lower()
        if media_type != "application/json":
            raise _NotJson(media_type or "no Content-Type")
        data = json.loads(request.body)
        if data is None:
            return {}  # as if the fields had been left out
        if not isinstance(data, dict):
            kind = "an array" if isinstance(data, list) else f"the {type(data).__name__} {data!r}"
            raise _NotAnObject(f"The JSON body must be an object ({{...}}), not {kind}.")
        field = _lone_surrogate(data)
        if field is not None:
            raise _LoneSurrogate(field)
        return data


def _signed_in_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The OpenAPI document and the docs page need a reader, as every read of the API does.

    Without credentials the document is a 401 with the Basic challenge (what a script expects)
    and the docs page sends the browser to sign in.
    """

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            user = next((user for auth in READ_AUTH if (user := auth(request))), None)
        except AuthorizationError as refusal:
            return _error(request, 403, "FORBIDDEN", str(refusal))
        if user is not None:
            return view(request, *args, **kwargs)
        if request.path.endswith(api.docs_url or "/docs"):
            return redirect_to_login(request.get_full_path())
        return _unauthenticated(request, AuthenticationError())

    return guarded


api = NinjaAPI(
    title="Guides Asset Processor API",
    version="v1",
    description=(
        "Start, follow, cancel, resume and restart the processing of a folder of the content "
        "repository. Authenticate with HTTP Basic, or with the console's session (then writes "
        "need the X-CSRFToken header). A write's body is JSON, sent with Content-Type: "
        "application/json (415 otherwise); a write that needs no body (cancel, resume or "
        "restart with processingId in the query string) may be sent without one. A browser "
        "may write only from the server's own origin (403 otherwise). After repeated failed "
        "sign-ins, authentication is refused with 429 and Retry-After. Times are epoch "
        'milliseconds. Every error is {"error": CODE, "message": sentence}.'
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=READ_AUTH,
    parser=_JsonParser(),
    docs_decorator=_signed_in_only,
)


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {"error": code, "message": message}
    if field:
        body["field"] = field
    return api.create_response(request, body, status=status)


_CODES = {
    400: "INVALID_INPUT",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
}


@api.exception_handler(services.ServiceError)
def _service_error(request: HttpRequest, exc: services.ServiceError) -> HttpResponse:
    return _error(request, exc.status, exc.code, exc.message, field=exc.field)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(
        request,
        401,
        "UNAUTHORIZED",
        "Authentication is required: use HTTP Basic with a user of this server, or sign in to "
        "the console.",
    )
    response["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, json.JSONDecodeError):
        return _error(
            request,
            400,
            "MALFORMED_JSON",
            f"The request body is not valid JSON: {cause.msg} at line {cause.lineno}, "
            f"column {cause.colno}.",
        )
    if isinstance(cause, UnicodeDecodeError):
        return _error(request, 400, "MALFORMED_JSON", "The request body is not UTF-8 text.")
    if isinstance(cause, _NotAnObject):
        return _error(request, 400, "INVALID_INPUT", str(cause))
    if isinstance(cause, _NotJson):
        return _error(
            request,
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "The request body must be JSON, sent with Content-Type: application/json "
            f"(not {cause}).",
        )
    if isinstance(cause, _LoneSurrogate):
        return _error(
            request,
            400,
            "INVALID_INPUT",
            f"{cause.field} in the JSON body holds a lone surrogate escape (such as \\ud800), "
            "which is not a character.",
            field=cause.field,
        )
    if isinstance(cause, RequestDataTooBig):
        # The middleware refuses a body announced as too large; this is one that was not.
        return _error(request, 413, "TOO_LARGE", "The request body is too large.")
    if cause is not None:
        return _error(request, 400, "INVALID_INPUT", f"The request body cannot be read: {cause}.")
    code = _CODES.get(exc.status_code, "INVALID_INPUT" if exc.status_code < 500 else "ERROR")
    return _error(request, exc.status_code, code, str(exc))


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = [_describe(error) for error in exc.errors]
    message = " ".join(sentence for _, sentence in problems[:3])
    if len(problems) > 3:
        message += f" ({len(problems) - 3} more problems.)"
    return _error(
        request, 400, "INVALID_INPUT", message, field=problems[0][0] if problems else None
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "NOT_FOUND", "Nothing is here.")


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unexpected error in %s %s", request.method, request.path)
    return _error(
        request, 500, "INTERNAL_ERROR", "The server failed on this request; it has been logged."
    )


_WHERE = {"body": "the JSON body", "query": "the query string"}
# The views' own parameter names, which ninja puts in front of the client's field names.
_PARAMETERS = {"payload", "query"}


def _describe(error: dict[str, Any]) -> tuple[str, str]:
    """One pydantic error as (field, sentence), the field written as a client writes it."""
    source, *loc = error.get("loc") or ("body",)
    if loc and loc[0] in _PARAMETERS:
        loc = loc[1:]
    field = ""
    for part in loc:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    where = _WHERE.get(source, source)
    if error.get("type") == "missing":
        if not field:
            return field, f"The request needs {where}; it is empty."
        return field, f"{field} is required in {where}."
    subject = f"{field} in {where}" if field else where.capitalize()
    return field, f"{subject}: {error.get('msg', 'is not valid')}."


# --- endpoints ----------------------------------------------------------------------------------


@api.post(
    "/assets/process",
    auth=RUN_AUTH,
    response=_responses(StartOut, 400, 401, 403, 409, 413, 415),
    summary="Start processing a folder",
    description="Queues an execution over path (minus excludedPaths) and returns its "
    "processingId at once; the work runs in the background. 409 when the path overlaps a "
    "waiting or running execution.",
)
def process_start(request: HttpRequest, payload: StartIn) -> dict[str, Any]:
    options = payload.filter or FilterIn.model_validate({})
    execution = services.execution_create(
        path=payload.path,
        created_by=_username(request),
        excluded_paths=payload.excludedPaths,
        file_types=options.fileTypes or [],
        filter_processed_assets=options.filterProcessedAssets,
        start_time=options.startTime,
        end_time=options.endTime,
        processing_type=payload.type,
        notify_url=payload.notify.url if payload.notify else None,
    )
    return {"processingId": str(execution.processing_id)}


@api.get(
    "/assets/process/status",
    response=_responses(StatusOut, 400, 401, 403, 404),
    summary="The status of an execution",
)
def process_status(request: HttpRequest, query: Query[ProcessingIdQuery]) -> dict[str, Any]:
    return selectors.execution_status(services.execution_get(processing_id=query.processingId))


@api.get(
    "/assets/process/logs",
    response=_responses(LogsOut, 400, 401, 403, 404),
    summary="A page of an execution's log",
    description=(
        "Pages by line number. `offset` is the first line to return (0-based, default 0) and "
        f"`limit` the most lines (default {selectors.LOG_LIMIT_DEFAULT}; larger values are capped "
        f"at {selectors.LOG_LIMIT_MAX}, and the response's `limit` is the one applied). "
        f"`tail=N` returns the last N lines instead (capped at {selectors.LOG_LIMIT_MAX}); the "
        "response's `offset` is then the number of the first of them, so earlier lines are "
        "fetched with `offset=max(0, offset - limit)`. `tail` cannot be combined with `offset` or "
        "`limit`. `hasMore` is true when lines exist after the returned page; `total` is the "
        "number of lines when the page was read. Numbers may be sent as numeric strings. Each "
        "request reads only the lines it returns, whatever the size of the log."
    ),
)
def process_logs(request: HttpRequest, query: Query[LogsQuery]) -> dict[str, Any]:
    execution = services.execution_get(processing_id=query.processingId)
    if query.tail is not None:
        if query.offset is not None or query.limit is not None:
            raise services.InvalidInput(
                "tail cannot be combined with offset or limit: ask for the last lines (tail) or "
                "for a page (offset and limit).",
                field="tail",
            )
        page = selectors.log_tail(execution, lines=query.tail)
    else:
        page = selectors.log_page(
            execution,
            offset=query.offset or 0,
            limit=selectors.LOG_LIMIT_DEFAULT if query.limit is None else query.limit,
        )
    return {
        "lines": [f"{_iso(line.time)} {line.level} {line.message}" for line in page.lines],
        "limit": page.limit,
        "offset": page.offset,
        "hasMore": page.has_more,
        "total": page.total,
        "entries": [
            {
                "line": line.line,
                "time": int(line.time.timestamp() * 1000),
                "level": line.level,
                "message": line.message,
            }
            for line in page.lines
        ],
    }


@api.get(
    "/assets/process/logs/download",
    response=_responses(None, 400, 401, 403, 404),
    summary="Download an execution's whole log as a ZIP",
    description=(
        "A ZIP archive holding one text file, `<processingId>.log`, with one line per log line: "
        "`line<TAB>ISO time<TAB>LEVEL<TAB>message`. It is streamed as it is read, so its size "
        "is not limited by the server's memory. A running execution's log is taken up to the "
        "line written last when the download starts."
    ),
    openapi_extra={
        # The same key as the responses above (an int), so that it is merged into their 200
        # rather than written beside it as a second "200".
        "responses": {
            200: {
                "description": "The ZIP archive.",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def process_logs_download(
    request: HttpRequest, query: Query[ProcessingIdQuery]
) -> StreamingHttpResponse:
    execution = services.execution_get(processing_id=query.processingId)
    response = StreamingHttpResponse(_zipped_log(execution), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{execution.processing_id}.zip"'
    return response


def _target(payload: ProcessingIdBody | None, query: OptionalProcessingIdQuery) -> str:
    given = {value for value in (payload and payload.processingId, query.processingId) if value}
    if not given:
        raise services.InvalidInput(
            'processingId is required, in the JSON body ({"processingId": "..."}) or in the '
            "query string (?processingId=...).",
            field="processingId",
        )
    if len(given) > 1:
        raise services.InvalidInput(
            "processingId differs between the JSON body and the query string.",
            field="processingId",
        )
    return given.pop()


_ACTION_ERRORS = (400, 401, 403, 404, 409, 413, 415)


@api.post(
    "/assets/process/cancel",
    auth=RUN_AUTH,
    response=_responses(StatusOut, *_ACTION_ERRORS),
    summary="Cancel a waiting or running execution",
    description="A waiting execution is cancelled at once; a running one becomes CANCELLING and "
    "is CANCELLED within seconds. Returns the execution's status. 409 when it is finished.",
)
def process_cancel(
    request: HttpRequest,
    query: Query[OptionalProcessingIdQuery],
    payload: ProcessingIdBody | None = None,
) -> dict[str, Any]:
    return selectors.execution_status(
        services.execution_cancel(processing_id=_target(payload, query), by=_username(request))
    )


@api.post(
    "/assets/process/resume",
    auth=RUN_AUTH,
    response=_responses(StatusOut, *_ACTION_ERRORS),
    summary="Resume a cancelled or failed execution",
    description="The same execution continues with the assets it had not processed. Returns its "
    "status. 409 when it is not cancelled or failed, or its path overlaps an active execution.",
)
def process_resume(
    request: HttpRequest,
    query: Query[OptionalProcessingIdQuery],
    payload: ProcessingIdBody | None = None,
) -> dict[str, Any]:
    return selectors.execution_status(
        services.execution_resume(processing_id=_target(payload, query), by=_username(request))
    )


@api.post(
    "/assets/process/restart",
    auth=RUN_AUTH,
    response=_responses(StatusOut, *_ACTION_ERRORS),
    summary="Restart a finished execution",
    description="Starts a new execution with the path, exclusions and filter of a finished one "
    "and returns the new execution's status (its restartedFrom names the old one). 409 when it "
    "is not finished or its path overlaps an active execution.",
)
def process_restart(
    request: HttpRequest,
    query: Query[OptionalProcessingIdQuery],
    payload: ProcessingIdBody | None = None,
) -> dict[str, Any]:
    return selectors.execution_status(
        services.execution_restart(processing_id=_target(payload, query), by=_username(request))
    )


@api.get(
    "/assets/process/history",
    response=_responses(HistoryOut, 400, 401, 403),
    summary="The last executions, newest first",
)
def process_history(request: HttpRequest, query: Query[HistoryQuery]) -> dict[str, Any]:
    executions = selectors.executions_recent(limit=min(query.limit, HISTORY_LIMIT_MAX))
    return {"executionHistory": [selectors.execution_status(execution) for execution in executions]}


# --- the log as a streamed ZIP -----------------------------------------------------------------


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _Sink:
    """A write-only, unseekable file for ZipFile: it keeps what was written until drained."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        return data


def _zipped_log(execution: Execution) -> Iterator[bytes]:
    """The ZIP archive of the log, yielded piece by piece as chunks of lines are read."""
    sink = _Sink()
    stamp = (execution.completed_at or datetime.now(UTC)).astimezone(UTC)
    member = zipfile.ZipInfo(f"{execution.processing_id}.log", date_time=stamp.timetuple()[:6])
    member.compress_type = zipfile.ZIP_DEFLATED
    member.external_attr = 0o644 << 16
    # The size is not known in advance: ZIP64 sizes keep a log over 4 GiB valid.
    with (
        zipfile.ZipFile(sink, "w") as archive,  # type: ignore[call-overload]
        archive.open(member, "w", force_zip64=True) as entry,
    ):
        for chunk in selectors.log_chunks(execution):
            text = "".join(
                f"{line}\t{_iso(time)}\t{level}\t{' '.join(message.splitlines())}\n"
                for line, time, level, message in chunk
            )
            entry.write(text.encode("utf-8"))
            yield sink.drain()
    yield sink.drain()  # the end of the member and the archive's directory


# --- the same error shape for a wrong method or an unknown URL under the API ----------------------

# Any other method is answered by ApiGuardMiddleware (middleware.py), as is HEAD on a GET
# endpoint (it is answered as GET without the body).
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_READ = ["GET", "HEAD"]
_ALLOWED = {
    "/assets/process": ["POST"],
    "/assets/process/status": _READ,
    "/assets/process/logs": _READ,
    "/assets/process/logs/download": _READ,
    "/assets/process/cancel": ["POST"],
    "/assets/process/resume": ["POST"],
    "/assets/process/restart": ["POST"],
    "/assets/process/history": _READ,
    "/openapi.json": _READ,
    "/docs": _READ,
}


def allowed_methods(path: str) -> list[str]:
    """The methods an API URL (a full path such as ``/bin/guides/v1/docs``) answers; [] if none."""
    return _ALLOWED.get("/" + path.removeprefix(PREFIX), [])


def _method_not_allowed(allowed: list[str]) -> Callable[[HttpRequest], HttpResponse]:
    def view(request: HttpRequest) -> HttpResponse:
        response = _error(
            request,
            405,
            "METHOD_NOT_ALLOWED",
            f"{request.method} is not allowed here; use {' or '.join(allowed)}.",
        )
        response["Allow"] = ", ".join(allowed)
        return response

    return view


for _path, _allowed in _ALLOWED.items():
    if _path in {"/openapi.json", "/docs"}:
        continue  # ninja's own views; they answer GET (and HEAD) only
    api.api_operation(
        [method for method in _METHODS if method not in _allowed],
        _path,
        auth=None,
        include_in_schema=False,
    )(_method_not_allowed(_allowed))


@api.api_operation(_METHODS, "/{path:rest}", auth=None, include_in_schema=False)
def _unknown(request: HttpRequest, rest: str) -> HttpResponse:
    return _error(
        request,
        404,
        "NOT_FOUND",
        f"There is no API endpoint at {request.path}; see /bin/guides/v1/docs.",
    )
