"""The Content-Security-Policy header of every answer.

The console runs only scripts and styles served from this site (``static/``): no inline script,
no inline style, no ``eval`` (htmx is told not to use it, see ``base.html``). Django's admin and
the API's documentation page (Swagger UI) set inline styles and draw ``data:`` images, so they get
the same policy with styles and images relaxed; scripts stay ``'self'`` everywhere.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_COMMON = (
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
CONSOLE_POLICY = "; ".join((*_COMMON, "style-src 'self'", "img-src 'self'"))
LOOSE_STYLE_POLICY = "; ".join(
    (*_COMMON, "style-src 'self' 'unsafe-inline'", "img-src 'self' data:")
)

# Pages built by libraries whose markup the project does not control.
LOOSE_STYLE_PREFIXES = ("/admin/", "/bin/guides/v1/docs")


def policy_for(path: str) -> str:
    """The policy of the page at ``path``."""
    return LOOSE_STYLE_POLICY if path.startswith(LOOSE_STYLE_PREFIXES) else CONSOLE_POLICY


class ContentSecurityPolicyMiddleware:
    """Sets ``Content-Security-Policy`` unless a view has set one itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy_for(request.path)
        return response
