"""The JSON API at ``/bin/guides/v1/assets/process*`` (DESIGN section 4), with django-ninja.

* ``auth``: HTTP Basic (scripts) or the Django session (the console); reads need ``READ``, writes
  ``RUN``.
* ``schemas``: requests and answers; the status object's schema is built from
  ``selectors.ExecutionStatusView``.
* ``errors``: the one error shape ``{"error": CODE, "message": sentence}`` (plus ``field``), the
  handlers that give it to every error, and the JSON body parser.
* ``endpoints``: the operations, each a few lines over the services and the selectors.
* ``logzip``: the log download, a streamed ZIP.
* ``system``: ``/system/status``, whether the database, the broker and the workers answer.

This module makes the ``NinjaAPI`` that ``urls.py`` mounts at ``PREFIX``, and says which methods
each URL answers (``allowed_methods``, for ``middleware.ApiGuardMiddleware``).
"""

from ninja import NinjaAPI
from ninja.operation import Operation

from . import endpoints, errors, graph, system
from .auth import DOCS_URL, READ_AUTH, signed_in_only

# Where the API is mounted (urls.py); the middleware answers for everything below it.
PREFIX = "/bin/guides/v1/"
OPENAPI_URL = "/openapi.json"


class _Api(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # Clients generate code from these ids: they name the operation, whichever module of
        # this package holds its function.
        return f"guides_processor_api_{operation.view_func.__name__}"


api = _Api(
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
    docs_url=DOCS_URL,
    openapi_url=OPENAPI_URL,
    auth=READ_AUTH,
    parser=errors.JsonParser(),
    renderer=errors.RENDERER,
    docs_decorator=signed_in_only,
)
errors.install(api)
api.add_router("", endpoints.router)
api.add_router("", system.router)
api.add_router("", graph.router)
api.add_router("", endpoints.fallback)  # last: its catch-all would hide any route after it

_READ = ["GET", "HEAD"]
# ninja's own views answer GET (and HEAD) only.
_ALLOWED = {
    **endpoints.ALLOWED,
    **system.ALLOWED,
    **graph.ALLOWED,
    OPENAPI_URL: _READ,
    DOCS_URL: _READ,
}


def allowed_methods(path: str) -> list[str]:
    """The methods an API URL (a full path such as ``/bin/guides/v1/docs``) answers; [] if none."""
    return _ALLOWED.get("/" + path.removeprefix(PREFIX), [])


__all__ = [
    "PREFIX",
    "allowed_methods",
    "api",
]
