"""What every response of the server needs, and the API's refusals made before a view runs.

``ApiGuardMiddleware`` answers, in the API's one error shape, what no API view should see: a
method the API does not know, a write from another origin, and a body larger than
``DATA_UPLOAD_MAX_MEMORY_SIZE``. (A write body that is not JSON is refused by the API's parser,
after authentication.) It also answers ``HEAD`` like ``GET`` without a
body. ``NoStoreMiddleware`` keeps authenticated pages and every API answer out of caches.
``signin_lockout_response`` is what django-axes answers once sign-ins are throttled.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import is_same_domain

from . import api

# The methods the API's URLs answer, if only with a 405; any other gets the 405 from here.
_KNOWN_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def error_response(status: int, code: str, message: str, **headers: str) -> HttpResponse:
    """A response in the API's one error shape, for answers given before ninja is reached."""
    response = JsonResponse({"error": code, "message": message}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _origin(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL, lower-cased; None when it has none (``null``, junk)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    suffix = "" if port is None or port == default else f":{port}"
    return f"{parts.scheme.lower()}://{host}{suffix}"


def _foreign_origin(request: HttpRequest) -> str | None:
    """The Origin (or, without one, the Referer) of a request when it is not one we trust.

    Trusted are the server's own origin (the scheme, host and port the request was made to) and
    those of ``CSRF_TRUSTED_ORIGINS``. A request with neither header (curl, CI) is trusted: the
    check is against browsers, which always send one of them on a cross-origin write.
    """
    given = request.headers.get("Origin") or request.headers.get("Referer")
    if not given:
        return None
    origin = _origin(given)
    own = _origin(request.build_absolute_uri("/"))
    exact = {own} | {_origin(url) for url in settings.CSRF_TRUSTED_ORIGINS if "*" not in url}
    if origin is not None and (origin in exact or _matches_wildcard(origin)):
        return None
    return given


def _matches_wildcard(origin: str) -> bool:
    """Whether ``origin`` is a sub-domain that a ``scheme://*.domain`` entry of
    ``CSRF_TRUSTED_ORIGINS`` trusts, as Django's CSRF check reads such entries for the console
    (a port given in the entry must match too)."""
    scheme, _, netloc = origin.partition("://")
    for url in settings.CSRF_TRUSTED_ORIGINS:
        pattern = url.strip().lower()
        if "://*." not in pattern:
            continue
        pattern_scheme, _, pattern_netloc = pattern.partition("://")
        if scheme == pattern_scheme and is_same_domain(netloc, pattern_netloc[1:]):
            return True
    return False


def _content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


class ApiGuardMiddleware:
    """The API's refusals that must come before a view reads the request (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(api.PREFIX):
            return self.get_response(request)
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        if request.method == "HEAD" and "GET" in api.allowed_methods(request.path):
            return self._head(request)
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        method = request.method or ""
        if method not in _KNOWN_METHODS:
            allowed = api.allowed_methods(request.path)
            if not allowed:
                return error_response(
                    404, "NOT_FOUND", f"There is no API endpoint at {request.path}."
                )
            return error_response(
                405,
                "METHOD_NOT_ALLOWED",
                f"{method} is not allowed here; use {' or '.join(allowed)}.",
                Allow=", ".join(allowed),
            )
        if method not in _WRITE_METHODS or method not in api.allowed_methods(request.path):
            return None  # not a write, or ninja answers it with a 404 or a 405
        foreign = _foreign_origin(request)
        if foreign is not None:
            return error_response(
                403,
                "FORBIDDEN",
                f"A write from {foreign} is refused: the API accepts writes only from its own "
                "origin, from DJANGO_CSRF_TRUSTED_ORIGINS, or from clients that send no Origin.",
            )
        length = _content_length(request)
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return error_response(
                413,
                "TOO_LARGE",
                f"The request body has {length} bytes; at most "
                f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} are accepted.",
            )
        return None

    def _head(self, request: HttpRequest) -> HttpResponse:
        """The GET answer, headers only; a streamed body (the log ZIP) is never produced."""
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        if response.streaming:
            # Its generator has not started, so it holds nothing to release; closing the response
            # here would signal the end of the request before the headers are even sent.
            head = HttpResponse(status=response.status_code)
            for name, value in response.items():
                head[name] = value
            return head
        length = len(response.content)
        response.content = b""
        response["Content-Length"] = str(length)
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` on every API answer and on every page of a signed-in user.

    Such answers carry a user's data; a shared or browser cache must not keep them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith(api.PREFIX) or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
            patch_vary_headers(response, ["Authorization", "Cookie"])
        return response


def client_address(request: HttpRequest) -> str:
    """The address sign-in failures are counted against.

    Behind ``GUIDES_TRUSTED_PROXIES`` proxies, each appending to X-Forwarded-For, it is the entry
    the outermost of them added (what a client puts there itself comes before it); else the
    peer's address, which behind a proxy is the proxy's, shared by every client.
    """
    proxies = settings.GUIDES_TRUSTED_PROXIES
    forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",")]
    if proxies and len(forwarded) >= proxies and forwarded[-proxies]:
        return forwarded[-proxies]
    return str(request.META.get("REMOTE_ADDR", ""))


def signin_lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any
) -> HttpResponse:
    """429 with Retry-After once django-axes throttles sign-ins for a username or an address.

    The API answers in its error shape; the sign-in form is shown again with the reason.
    """
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    minutes = max(1, round(seconds / 60))
    message = (
        f"Too many failed sign-ins for this user or from this address; try again in "
        f"{minutes} minute{'s' if minutes != 1 else ''}."
    )
    response: HttpResponse
    if request.path.startswith(api.PREFIX):
        response = error_response(429, "TOO_MANY_REQUESTS", message)
    else:
        response = render(
            request,
            "registration/login.html",
            {
                "form": AuthenticationForm(
                    request, initial={"username": request.POST.get("username", "")}
                ),
                "throttled": message,
            },
            status=429,
        )
    response["Retry-After"] = str(seconds)
    return response
