"""The log viewer: the tail first, earlier pages on demand, new lines by cursor while running."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseStopPolling

from .. import selectors
from ..models import ACTIVE_STATUSES
from .access import HtmxHttpRequest, console_view
from .executions import Row
from .pages import get_execution

TAIL_LINES = 500


def _int(raw: str | None, default: int) -> int:
    try:
        return int(raw) if raw else default
    except ValueError:
        return default


@console_view()
@require_GET
def execution_logs(request: HtmxHttpRequest, processing_id: object) -> HttpResponse:
    """The log viewer page, opened at the latest ``TAIL_LINES`` lines."""
    execution = get_execution(processing_id)
    page = selectors.log_tail(execution, lines=TAIL_LINES)
    last = page.lines[-1].line if page.lines else page.offset - 1
    return render(
        request,
        "guides_processor/execution_logs.html",
        {
            "execution": execution,
            "row": Row(execution, selectors.execution_status(execution)),
            "lines": page.lines,
            "earlier": page.offset,  # lines before the first shown
            "after": last,
            "live": execution.status in ACTIVE_STATUSES,
        },
    )


@console_view()
@require_GET
def log_earlier(request: HtmxHttpRequest, processing_id: object) -> HttpResponse:
    """The page of lines before line ``before``, with a button for the page before it."""
    execution = get_execution(processing_id)
    page = selectors.log_before(
        execution, before=_int(request.GET.get("before"), 0), limit=TAIL_LINES
    )
    return render(
        request,
        "guides_processor/_log_earlier.html",
        {"execution": execution, "lines": page.lines, "earlier": page.offset},
    )


@console_view()
@require_GET
def log_follow(request: HtmxHttpRequest, processing_id: object) -> HttpResponse:
    """Lines after the cursor ``after`` and the status, while the execution is active.

    Once it is finished the answer is 286 (htmx swaps it, then stops polling), holding the last
    lines and the final status when there are any.
    """
    execution = get_execution(processing_id)
    # Read the status before the lines: a line written after this read is fetched next time,
    # and the lines of a finished execution are complete when its status says finished.
    live = execution.status in ACTIVE_STATUSES
    page = selectors.log_after(execution, after=_int(request.GET.get("after"), -1))
    last = page.lines[-1].line if page.lines else page.offset - 1
    response = render(
        request,
        "guides_processor/_log_follow.html",
        {
            "execution": execution,
            "row": Row(execution, selectors.execution_status(execution)),
            "lines": page.lines,
            "after": last,
            # Keep following while active, and at once when one answer could not hold all lines.
            "live": live or page.has_more,
        },
    )
    if not live and not page.has_more:
        response.status_code = HttpResponseStopPolling.status_code
    return response
