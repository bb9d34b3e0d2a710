"""Who may see and do what in the console, decided per view, and the toast messages of htmx."""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from .. import permissions

NO_READ = (
    "Your account has no access to the asset processor. Ask an administrator to make you staff."
)
NO_RUN = (
    "You can view executions but not start, cancel, resume or restart them. Ask an "
    "administrator for the permission “Can start, cancel, resume and restart processing”."
)

View = Callable[..., HttpResponse]


class HtmxHttpRequest(HttpRequest):
    """A request as the views see it: django-htmx's middleware adds ``htmx``."""

    htmx: HtmxDetails


def console_view(*, run: bool = False) -> Callable[[View], View]:
    """Require a signed-in user who may read, and with ``run`` one who may also act.

    Anonymous users go to the sign-in page (htmx requests through ``HX-Redirect``, so that a
    fragment never shows the sign-in form); others who may not are answered 403 with the reason.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return _to_login(request)
            if not permissions.can_read(user):
                return forbidden(request, NO_READ)
            if run and not permissions.can_run(user):
                return forbidden(request, NO_RUN)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _to_login(request: HtmxHttpRequest) -> HttpResponse:
    if request.htmx:
        # The page the browser shows, not the fragment's URL, is where to come back to.
        current = request.htmx.current_url_abs_path or "/"
        login = resolve_url(settings.LOGIN_URL)
        return HttpResponseClientRedirect(f"{login}?{urlencode({'next': current})}")
    return redirect_to_login(request.get_full_path())


def forbidden(request: HtmxHttpRequest, message: str) -> HttpResponse:
    """403 with the reason: a toast for htmx, a page otherwise."""
    if request.htmx:
        response = HttpResponse(message, status=403, content_type="text/plain; charset=utf-8")
        return with_toast(response, message, level="error", title="Not allowed")
    return render(request, "guides_processor/forbidden.html", {"message": message}, status=403)


def bad_request(request: HtmxHttpRequest, message: str) -> HttpResponse:
    """400 with the reason: a fragment and an error toast for htmx, the error page otherwise."""
    if request.htmx:
        response = render(
            request, "guides_processor/_bad_request.html", {"message": message}, status=400
        )
        return with_toast(response, message, level="error", title="Not understood")
    return render(request, "400.html", {"message": message}, status=400)


def with_toast(
    response: HttpResponse,
    message: str,
    *,
    level: str = "success",
    title: str = "",
    events: dict[str, Any] | None = None,
) -> HttpResponse:
    """Ask the page to show a toast (and fire ``events``) through the ``HX-Trigger`` header."""
    triggers: dict[str, Any] = dict(events or {})
    triggers["toast"] = {
        "message": message,
        "level": level,
        "title": title or ("Success" if level == "success" else "Error"),
    }
    response["HX-Trigger"] = json.dumps(triggers)
    return response


def safe_next(request: HtmxHttpRequest, fallback: str) -> str:
    """The ``next`` the form carried when it is a path on this site, else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback
