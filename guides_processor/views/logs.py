"""The log viewer: the tail first, earlier pages on demand, new lines by cursor while running.

Following keeps up with any rate: one poll brings at most ``FOLLOW_STEP`` lines, and when more
than that were written since the last poll it jumps to the newest ``FOLLOW_STEP`` and leaves a
"lines skipped" button for the gap, which loads it on demand like earlier lines. The page keeps
at most ``WINDOW_LINES`` lines (console.js removes the oldest and offers to load them again).
"""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseStopPolling

from .. import selectors
from ..models import ACTIVE_STATUSES
from .access import HtmxHttpRequest, bad_request, console_view
from .executions import row_of
from .forms import LogEarlierQuery, LogFollowQuery
from .pages import get_execution

TAIL_LINES = 500
FOLLOW_STEP = 2000
WINDOW_LINES = 5000


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
            "row": row_of(execution),
            "lines": page.lines,
            "earlier": page.offset,  # lines before the first shown
            "since": 0,
            "skipped": page.offset,
            "after": last,
            "live": execution.status in ACTIVE_STATUSES,
            "window": WINDOW_LINES,
        },
    )


@console_view()
@require_GET
def log_earlier(request: HtmxHttpRequest, processing_id: object) -> HttpResponse:
    """Up to ``TAIL_LINES`` lines just before line ``before`` and not before line ``since``.

    Answers with a button for the lines still between ``since`` and the first line sent.
    """
    execution = get_execution(processing_id)
    query = LogEarlierQuery(request.GET)
    if not query.is_valid():
        return bad_request(request, query.error_message())
    before: int = query.cleaned_data["before"]
    since: int = min(query.cleaned_data["since"] or 0, before)
    page = selectors.log_before(
        execution, before=before, limit=max(1, min(TAIL_LINES, before - since))
    )
    return render(
        request,
        "guides_processor/_log_earlier.html",
        {
            "execution": execution,
            "lines": page.lines if before > since else [],
            "earlier": max(page.offset, since),
            "since": since,
            "skipped": max(page.offset, since) - since,
        },
    )


@console_view()
@require_GET
def log_follow(request: HtmxHttpRequest, processing_id: object) -> HttpResponse:
    """Lines after the cursor ``after`` and the status, while the execution is active.

    At most ``FOLLOW_STEP`` lines: when more were written, the newest ones and a button for the
    lines skipped. Once the execution is finished the answer is 286 (htmx swaps it, then stops
    polling), holding the last lines and the final status when there are any.
    """
    execution = get_execution(processing_id)
    query = LogFollowQuery(request.GET)
    if not query.is_valid():
        return bad_request(request, query.error_message())
    after: int = query.cleaned_data["after"]
    # Read the status before the lines: a line written after this read is fetched next time,
    # and the lines of a finished execution are complete when its status says finished.
    live = execution.status in ACTIVE_STATUSES
    total = selectors.log_kept_lines(execution)
    gap_start = after + 1
    start = max(gap_start, total - FOLLOW_STEP)
    page = selectors.log_after(execution, after=start - 1, limit=FOLLOW_STEP)
    last = page.lines[-1].line if page.lines else start - 1
    response = render(
        request,
        "guides_processor/_log_follow.html",
        {
            "execution": execution,
            "row": row_of(execution),
            "lines": page.lines,
            "after": last,
            # The gap left by jumping ahead, loaded on demand.
            "since": gap_start,
            "earlier": start if start > gap_start else 0,
            "skipped": start - gap_start,
            # Keep following while active, and at once when one answer could not hold all lines.
            "live": live or page.has_more,
        },
    )
    if not live and not page.has_more:
        response.status_code = HttpResponseStopPolling.status_code
    return response
