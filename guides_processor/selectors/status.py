"""The status object of the API, built here and only here, with the field names of the product's
API page; and the ETA it reports."""

import math
from datetime import datetime
from typing import Any

from django.utils import timezone

from ..models import (
    FINISHED_STATUSES,
    RUNNING_STATUSES,
    CalculationStatus,
    Execution,
    ExecutionStatus,
)


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
        # A pruned execution has no manifest left to continue with (executions/retention.py).
        "resumable": status in (ExecutionStatus.CANCELLED, ExecutionStatus.FAILED)
        and execution.pruned_at is None,
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
            str(execution.restarted_from.processing_id) if execution.restarted_from else None
        ),
        "createdAt": _ms(execution.created_at),
        "logLineCount": execution.log_line_count,
        "calculationDone": execution.calculation_status == CalculationStatus.SUCCESS,
    }


def eta_seconds(execution: Execution, now: datetime | None = None) -> int:
    """Remaining items divided by the items per second measured since this run segment began."""
    if execution.status not in RUNNING_STATUSES or execution.segment_started_at is None:
        return 0
    now = now or timezone.now()
    done = execution.triggered_count - execution.segment_start_count
    elapsed = (now - execution.segment_started_at).total_seconds()
    remaining = max(execution.total_files - execution.triggered_count, 0)
    if done <= 0 or elapsed <= 0 or remaining == 0:
        return 0
    return math.ceil(remaining / (done / elapsed))
