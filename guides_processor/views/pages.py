"""The Tools page and an execution's detail page."""

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseStopPolling

from .. import executions as services
from .. import permissions, selectors
from ..models import ACTIVE_STATUSES, AssetType, CalculationStatus, Execution, ExecutionStatus
from ..selectors.webhooks import execution_deliveries
from ..templatetags.console import ordinal
from ..text import plural
from .access import HtmxHttpRequest, console_view
from .executions import row_of

# Failed assets and broken references listed on the detail page; the counts say how many in all.
DETAIL_LIST_LIMIT = 200


def home(request: HtmxHttpRequest) -> HttpResponse:
    return redirect("guides_processor:tools")


@console_view()
@require_GET
def tools(request: HtmxHttpRequest) -> HttpResponse:
    return render(request, "guides_processor/tools.html")


def get_execution(processing_id: object) -> Execution:
    """The execution, or a 404 page that says which id was not found."""
    try:
        return services.execution_get(processing_id=processing_id)
    except services.NotFound as exc:
        raise Http404(exc.message) from None


def status_in_words(
    execution: Execution,
    status: selectors.ExecutionStatusView,
    *,
    queue_place: int | None = None,
) -> str:
    """One or two sentences that say where the execution stands."""
    done, total = status.triggered_count, status.migration_set.total_files
    counting = execution.calculation_status != CalculationStatus.SUCCESS
    match execution.status:
        case ExecutionStatus.WAITING:
            place = f" ({ordinal(queue_place)} in line)" if queue_place else ""
            return f"Waiting in the queue{place}; it starts when the running execution finishes."
        case ExecutionStatus.IN_PROGRESS if counting:
            return (
                f"In progress: listing the folder, {plural(total, 'asset')} found so far and "
                f"{done:,} processed."
            )
        case ExecutionStatus.IN_PROGRESS:
            eta = status.eta.value
            left = f", about {eta:,} s left" if eta else ""
            return f"In progress: {done:,} of {plural(total, 'asset')} processed{left}."
        case ExecutionStatus.CANCELLING:
            return "Cancelling: the workers stop after the assets they are processing."
        case ExecutionStatus.SUCCESS if execution.comments:
            return f"Completed: {execution.comments}"
        case ExecutionStatus.SUCCESS:
            return f"Completed: {plural(total, 'asset')} matched."
        case ExecutionStatus.FAILED if "resume" in execution.comments:
            return f"Failed: {execution.comments}"  # it says what resume does already
        case ExecutionStatus.FAILED:
            return f"Failed: {execution.comments} Resume continues with the assets left."
        case ExecutionStatus.CANCELLED:
            return execution.comments or "Cancelled. Resume continues with the assets left."
    return execution.get_status_display()


def _count_rows(counts: selectors.ItemCounts) -> list[dict[str, Any]]:
    labels = dict(AssetType.choices)
    order = [*AssetType.values, ""]
    rows = []
    rank = {name: index for index, name in enumerate(order)}
    for asset_type in sorted(counts.by_type, key=lambda name: (rank.get(name, len(order)), name)):
        states = counts.by_type[asset_type]
        rows.append(
            {
                "label": labels.get(asset_type, asset_type) if asset_type else "Not processed yet",
                "name": asset_type,
                "done": states.get("DONE", 0),
                "failed": states.get("FAILED", 0),
                "skipped": states.get("SKIPPED", 0),
                "pending": states.get("PENDING", 0),
                "total": sum(states.values()),
            }
        )
    return rows


def _timings(execution: Execution) -> dict[str, Any]:
    """The last run's duration and throughput, as the status object and the log give them."""
    timings = selectors.execution_timings(execution)
    return {"seconds": timings.seconds, "rate": timings.rate}


@vary_on_headers("HX-Request")
@console_view()
@require_GET
def execution_detail(request: HtmxHttpRequest, processing_id: object) -> HttpResponse:
    """The detail page, or (to htmx) its body alone, which polls while the execution is active."""
    execution = get_execution(processing_id)
    row = row_of(execution)
    status = row.status
    counts = selectors.execution_item_counts(execution)
    context = {
        "row": row,
        "execution": execution,
        "status": status,
        "words": status_in_words(execution, status, queue_place=row.queue_place),
        "counts": counts.by_state,
        "count_rows": _count_rows(counts),
        "timings": _timings(execution),
        "failed_items": selectors.execution_failed_items(execution, limit=DETAIL_LIST_LIMIT),
        "broken": selectors.execution_broken_references(execution, limit=DETAIL_LIST_LIMIT),
        # Its restarts and its retries of failed assets, each named as what it is.
        "restarts": list(execution.restarts.filter(retry_failed=False).order_by("-id")[:20]),
        "retries": list(execution.restarts.filter(retry_failed=True).order_by("-id")[:20]),
        "deliveries": execution_deliveries(execution),
        "list_limit": DETAIL_LIST_LIMIT,
        "live": execution.status in ACTIVE_STATUSES,
        "can_run": permissions.can_run(request.user),
    }
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, "guides_processor/_execution_detail.html", context)
        if not context["live"]:
            response.status_code = HttpResponseStopPolling.status_code
        return response
    return render(request, "guides_processor/execution_detail.html", context)
