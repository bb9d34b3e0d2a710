"""Reads: the status object, history, log pages, reports.

The status object is built here and only here, with the field names of the product's API page.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from .models import (
    FINISHED_STATUSES,
    CalculationStatus,
    Execution,
    ExecutionStatus,
    LogLine,
)
from .services import eta_seconds

# The most log lines one request returns.
LOG_LIMIT_MAX = 5000
LOG_LIMIT_DEFAULT = 500


def _ms(value: datetime | None) -> int:
    return int(value.timestamp() * 1000) if value else 0


def _ms_or_none(value: datetime | None) -> int | None:
    return int(value.timestamp() * 1000) if value else None


def execution_status(execution: Execution, *, excluded: list[str] | None = None) -> dict[str, Any]:
    """The status object of the API: the seed's fields, then ours.

    ``excluded`` may be passed when already fetched (history prefetches it).
    """
    if excluded is None:
        excluded = [folder.path for folder in execution.excluded.all()]
    status = execution.status
    return {
        "processingId": str(execution.processing_id),
        "path": execution.path,
        "excludedPaths": excluded,
        "status": status,
        "triggeredCount": execution.triggered_count,
        "startedAt": _ms(execution.started_at),
        "completedAt": _ms(execution.completed_at),
        "hasLogs": execution.log_line_count > 0,
        "createdBy": execution.created_by,
        "type": execution.type,
        "migrationSet": {
            "totalFiles": execution.total_files,
            "calculationStatus": execution.calculation_status,
        },
        "eta": {"value": eta_seconds(execution), "unit": "SECONDS"},
        "comments": execution.comments,
        "restartable": status in FINISHED_STATUSES,
        "resumable": status in (ExecutionStatus.CANCELLED, ExecutionStatus.FAILED),
        "cancellable": status in (ExecutionStatus.WAITING, ExecutionStatus.IN_PROGRESS),
        # Ours, beyond the seed.
        "filter": {
            "fileTypes": list(execution.file_types),
            "filterProcessedAssets": execution.filter_processed_assets,
            "startTime": _ms_or_none(execution.modified_after),
            "endTime": _ms_or_none(execution.modified_before),
        },
        "processedCount": execution.processed_count,
        "failedCount": execution.failed_count,
        "skippedCount": execution.skipped_count,
        "brokenReferenceCount": execution.broken_reference_count,
        "restartedFrom": (
            str(execution.restarted_from.processing_id) if execution.restarted_from_id else None
        ),
        "createdAt": _ms(execution.created_at),
        "logLineCount": execution.log_line_count,
        "calculationDone": execution.calculation_status == CalculationStatus.SUCCESS,
    }


def executions_recent(*, limit: int) -> QuerySet[Execution]:
    """The newest executions first, with what the status object needs fetched along."""
    return (
        Execution.objects.order_by("-id")
        .select_related("restarted_from")
        .prefetch_related("excluded")[:limit]
    )


@dataclass(frozen=True)
class LogPage:
    lines: list[LogLine]
    offset: int
    limit: int
    has_more: bool
    total: int


def log_page(execution: Execution, *, offset: int = 0, limit: int = LOG_LIMIT_DEFAULT) -> LogPage:
    """Lines ``offset`` .. ``offset + limit - 1``. Costs O(limit): a range on the line index."""
    limit = max(0, min(limit, LOG_LIMIT_MAX))
    offset = max(0, offset)
    total = execution.log_line_count
    lines = list(
        LogLine.objects.filter(
            execution=execution, line__gte=offset, line__lt=offset + limit
        ).order_by("line")
    )
    return LogPage(lines, offset, limit, offset + limit < total, total)


def log_tail(execution: Execution, *, lines: int = LOG_LIMIT_DEFAULT) -> LogPage:
    """The last ``lines`` lines; the page's ``offset`` is where they start."""
    count = max(0, min(lines, LOG_LIMIT_MAX))
    start = max(0, execution.log_line_count - count)
    return log_page(execution, offset=start, limit=count)
