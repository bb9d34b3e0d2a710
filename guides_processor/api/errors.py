"""The API's one error shape, the handlers that give every error that shape, and the body parser.

Every error, ninja's own included, is ``{"error": CODE, "message": sentence}``, plus ``field``
when one input is at fault. Nothing a client sends may produce a 500. A write body must be
declared JSON (a page can send no such body to another origin without the browser asking first),
must be an object, and may not hold a lone surrogate, which no file name or database text can.
"""

import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from .. import executions as services

logger = logging.getLogger(__name__)

REALM = "Guides Asset Processor"
# The API renders its answers with this renderer too (``NinjaAPI(renderer=...)``), so that an
# error written here is byte for byte what ninja would write.
RENDERER = JSONRenderer()


def error(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
) -> HttpResponse:
    """An answer in the one error shape."""
    body: dict[str, Any] = {"error": code, "message": message}
    if field:
        body["field"] = field
    return HttpResponse(
        RENDERER.render(request, body, response_status=status),
        status=status,
        content_type=f"{RENDERER.media_type}; charset={RENDERER.charset}",
    )


# --- the JSON body ------------------------------------------------------------------------------


class _NotAnObject(ValueError):
    """A body that is JSON but not an object: every body of this API is one."""


class _NotJson(ValueError):
    """A body sent with another Content-Type than application/json."""


class _LoneSurrogate(ValueError):
    """A string of the JSON body holds a lone surrogate; ``field`` says which."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def lone_surrogate(value: Any, where: str = "") -> str | None:
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
        found = lone_surrogate(item, place)
        if found is not None:
            return found
    return None


class JsonParser(Parser):
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
        field = lone_surrogate(data)
        if field is not None:
            raise _LoneSurrogate(field)
        return data


# --- exception handlers -------------------------------------------------------------------------

_CODES = {
    400: "INVALID_INPUT",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
}


def _service_error(request: HttpRequest, exc: services.ServiceError) -> HttpResponse:
    return error(request, exc.status, exc.code, exc.message, field=exc.field)


def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    """The 401, with the Basic challenge; saying so where credentials came and were refused
    (a typo in a pipeline's secret reads otherwise as a request sent without any)."""
    sent = request.headers.get("Authorization", "").lower().startswith("basic ")
    message = (
        "The user name or password is not accepted (wrong, or the user is inactive): use HTTP "
        "Basic with a user of this server, or sign in to the console."
        if sent
        else "Authentication is required: use HTTP Basic with a user of this server, or sign "
        "in to the console."
    )
    response = error(request, 401, "UNAUTHORIZED", message)
    response["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return response


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    cause = exc.__cause__
    if isinstance(cause, json.JSONDecodeError):
        return error(
            request,
            400,
            "MALFORMED_JSON",
            f"The request body is not valid JSON: {cause.msg} at line {cause.lineno}, "
            f"column {cause.colno}.",
        )
    if isinstance(cause, UnicodeDecodeError):
        return error(request, 400, "MALFORMED_JSON", "The request body is not UTF-8 text.")
    if isinstance(cause, _NotAnObject):
        return error(request, 400, "INVALID_INPUT", str(cause))
    if isinstance(cause, _NotJson):
        return error(
            request,
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            "The request body must be JSON, sent with Content-Type: application/json "
            f"(not {cause}).",
        )
    if isinstance(cause, _LoneSurrogate):
        return error(
            request,
            400,
            "INVALID_INPUT",
            f"{cause.field} in the JSON body holds a lone surrogate escape (such as \\ud800), "
            "which is not a character.",
            field=cause.field,
        )
    if isinstance(cause, RequestDataTooBig):
        # The middleware refuses a body announced as too large; this is one that was not.
        return error(request, 413, "TOO_LARGE", "The request body is too large.")
    if cause is not None:
        return error(request, 400, "INVALID_INPUT", f"The request body cannot be read: {cause}.")
    code = _CODES.get(exc.status_code, "INVALID_INPUT" if exc.status_code < 500 else "ERROR")
    return error(request, exc.status_code, code, str(exc))


def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = [_describe(item) for item in exc.errors]
    message = " ".join(sentence for _, sentence in problems[:3])
    if len(problems) > 3:
        message += f" ({len(problems) - 3} more problems.)"
    return error(request, 400, "INVALID_INPUT", message, field=problems[0][0] if problems else None)


def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "NOT_FOUND", "Nothing is here.")


def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unexpected error in %s %s", request.method, request.path)
    return error(
        request, 500, "INTERNAL_ERROR", "The server failed on this request; it has been logged."
    )


_WHERE = {"body": "the JSON body", "query": "the query string"}
# The views' own parameter names, which ninja puts in front of the client's field names.
_PARAMETERS = {"payload", "query"}


def _describe(problem: dict[str, Any]) -> tuple[str, str]:
    """One pydantic error as (field, sentence), the field written as a client writes it."""
    source, *loc = problem.get("loc") or ("body",)
    if loc and loc[0] in _PARAMETERS:
        loc = loc[1:]
    field = ""
    for part in loc:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    where = _WHERE.get(source, source)
    if problem.get("type") == "missing":
        if not field:
            return field, f"The request needs {where}; it is empty."
        return field, f"{field} is required in {where}."
    if problem.get("type") == "extra_forbidden":
        return field, f"{field} in {where} is not a field of this request; check its spelling."
    subject = f"{field} in {where}" if field else where.capitalize()
    return field, f"{subject}: {problem.get('msg', 'is not valid')}."


def install(api: NinjaAPI) -> None:
    """Give every error ``api`` meets the one shape."""
    api.exception_handler(services.ServiceError)(_service_error)
    api.exception_handler(AuthenticationError)(unauthenticated)
    api.exception_handler(HttpError)(_http_error)
    api.exception_handler(ValidationError)(_invalid)
    api.exception_handler(Http404)(_not_found)
    api.exception_handler(Exception)(_unexpected)


# --- a wrong method or an unknown URL under the API ----------------------------------------------


def method_not_allowed(allowed: list[str]) -> Callable[[HttpRequest], HttpResponse]:
    """The view that answers the methods a URL does not allow (``allowed`` are those it does)."""

    def view(request: HttpRequest) -> HttpResponse:
        response = error(
            request,
            405,
            "METHOD_NOT_ALLOWED",
            f"{request.method} is not allowed here; use {' or '.join(allowed)}.",
        )
        response["Allow"] = ", ".join(allowed)
        return response

    return view


# Any other method is answered by ApiGuardMiddleware (middleware.py), as is HEAD on a GET
# endpoint (it is answered as GET without the body).
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def close_other_methods(router: Router) -> dict[str, list[str]]:
    """Answer every method that ``router``'s URLs do not take with the one-shape 405.

    Call it once the router's endpoints are declared. Returns the methods each URL answers, in
    ``METHODS`` order and HEAD wherever GET is, for the guard's table (``api.allowed_methods``).
    """
    allowed: dict[str, list[str]] = {}
    for path, view in list(router.path_operations.items()):
        taken = {method for operation in view.operations for method in operation.methods}
        allowed[path] = [
            method for method in METHODS if method in taken or (method == "HEAD" and "GET" in taken)
        ]
    for path, methods in allowed.items():
        router.api_operation(
            [method for method in METHODS if method not in methods],
            path,
            auth=None,
            include_in_schema=False,
        )(method_not_allowed(methods))
    return allowed


def unknown(request: HttpRequest, rest: str) -> HttpResponse:
    """Any URL under the API that is no endpoint."""
    return error(
        request,
        404,
        "NOT_FOUND",
        f"There is no API endpoint at {request.path}; see /bin/guides/v1/docs.",
    )


# --- outside the API's own views ------------------------------------------------------------------


def bad_request(
    request: HttpRequest, exception: Exception | None = None, *, api_prefix: str
) -> HttpResponse:
    """Django's ``handler400`` (a request refused before any view: a Host header that is not in
    ``DJANGO_ALLOWED_HOSTS``, too many fields): the one error shape under the API's prefix,
    where a pipeline reads JSON, and the console's page elsewhere."""
    if not request.path.startswith(api_prefix):
        return defaults.bad_request(request, exception or Exception())
    if isinstance(exception, DisallowedHost):
        message = (
            "The Host header names a host this server does not answer for; use one of the "
            "names in its DJANGO_ALLOWED_HOSTS setting."
        )
    else:
        message = "The request was refused before it was read; check its headers and size."
    # Not through ``error``: its renderer reads the request, whose host is the fault here.
    return JsonResponse({"error": "INVALID_INPUT", "message": message}, status=400)
