"""Who may call the API: HTTP Basic (scripts) or the console's Django session, then a permission.

A session write must carry the CSRF token, a Basic one need not. A browser resends Basic
credentials typed into its own prompt with any request, forged ones included, so a Basic write
that a browser sends cross-site is refused here (and any cross-origin write by
``middleware.ApiGuardMiddleware``). Failed sign-ins are throttled by django-axes
(``basic_auth.py``). Reads need ``can_read`` (``READ``), writes ``can_run`` (``RUN``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.security import APIKeyCookie, HttpBasicAuth
from ninja.utils import check_csrf

from .. import permissions
from ..basic_auth import authenticate_basic
from .errors import error, unauthenticated

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# The docs page (under the API's prefix), which sends a browser without credentials to sign in.
DOCS_URL = "/docs"


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


def username(request: HttpRequest) -> str:
    """The name of the user an operation authenticated."""
    return str(request.auth.get_username())  # type: ignore[attr-defined]


def signed_in_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The OpenAPI document and the docs page need a reader, as every read of the API does.

    Without credentials the document is a 401 with the Basic challenge (what a script expects)
    and the docs page sends the browser to sign in.
    """

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            user = next((user for auth in READ_AUTH if (user := auth(request))), None)
        except AuthorizationError as refusal:
            return error(request, 403, "FORBIDDEN", str(refusal))
        if user is not None:
            return view(request, *args, **kwargs)
        if request.path.endswith(DOCS_URL):
            return redirect_to_login(request.get_full_path())
        return unauthenticated(request, AuthenticationError())

    return guarded
