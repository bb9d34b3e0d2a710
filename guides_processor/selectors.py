"""Reads: the status object, history, log pages, reports.

The status object is built here and only here, with the field names of the product's API page.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from .models import (
    ACTIVE_STATUSES,
    FINISHED_STATUSES,
    CalculationStatus,
    Execution,
    ExecutionItem,
    ExecutionStatus,
    ItemState,
    LogLine,
    Reference,
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
            str(execution.restarted_from.processing_id) if execution.restarted_from else None
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


# --- the console's reads ----------------------------------------------------------------------

EXECUTIONS_PAGE_SIZE = 25


@dataclass(frozen=True)
class ExecutionPage:
    """One page of executions, newest first, with the cursors of its neighbours.

    Paging is by id (keyset), so a page costs O(page size) whatever the table holds, and a page
    that is not the newest stays the same while new executions arrive.
    """

    executions: list[Execution]
    newer_than: int | None  # pass as ``after`` for the page of newer executions, None when first
    older_than: int | None  # pass as ``before`` for the page of older executions, None when last


def executions_page(
    *,
    status: str = "",
    folder: str = "",
    before: int | None = None,
    after: int | None = None,
    limit: int = EXECUTIONS_PAGE_SIZE,
) -> ExecutionPage:
    """Executions with ``status`` (any when empty) on ``folder`` or below it (any when empty).

    ``before`` gives the page of executions older than that id, ``after`` the page just newer than
    it; neither gives the newest page.
    """
    queryset = Execution.objects.all()
    if status:
        queryset = queryset.filter(status=status)
    if folder:
        queryset = queryset.filter(Q(path=folder) | Q(path__startswith=folder.rstrip("/") + "/"))
    queryset = queryset.select_related("restarted_from").prefetch_related("excluded")
    if after is not None:
        rows = list(queryset.filter(pk__gt=after).order_by("id")[: limit + 1])
        if len(rows) <= limit:
            # Nothing newer beyond this page: it is the newest page, shown full.
            return executions_page(status=status, folder=folder, limit=limit)
        rows = rows[:limit][::-1]
        has_newer = has_older = True
    else:
        if before is not None:
            queryset = queryset.filter(pk__lt=before)
        rows = list(queryset.order_by("-id")[: limit + 1])
        has_older = len(rows) > limit
        rows = rows[:limit]
        has_newer = before is not None
    if not rows:
        return ExecutionPage([], None, None)
    return ExecutionPage(
        rows,
        newer_than=rows[0].pk if has_newer else None,
        older_than=rows[-1].pk if has_older else None,
    )


def executions_active_exist() -> bool:
    """Whether any execution waits or runs (one probe of the status index)."""
    return Execution.objects.filter(status__in=ACTIVE_STATUSES).exists()


def execution_queue_place(execution: Execution) -> int:
    """1 + the executions waiting that were created before ``execution`` (they start first).

    Costs one count on the (status, id) index.
    """
    return Execution.objects.filter(status=ExecutionStatus.WAITING, pk__lt=execution.pk).count() + 1


@dataclass(frozen=True)
class ItemCounts:
    """The manifest of an execution counted by outcome, and by asset type and outcome."""

    by_state: dict[str, int]
    by_type: dict[str, dict[str, int]]  # asset type ("" while pending) -> state -> count


def execution_item_counts(execution: Execution) -> ItemCounts:
    """Counts of the execution's items. Costs one grouped scan of that execution's items."""
    by_state: dict[str, int] = {state: 0 for state in ItemState.values}
    by_type: dict[str, dict[str, int]] = {}
    rows = (
        ExecutionItem.objects.filter(execution=execution)
        .order_by()
        .values_list("asset_type", "state")
        .annotate(count=Count("id"))
    )
    for asset_type, state, count in rows:
        by_state[state] = by_state.get(state, 0) + count
        by_type.setdefault(asset_type, {}).setdefault(state, 0)
        by_type[asset_type][state] += count
    return ItemCounts(by_state, by_type)


def execution_failed_items(execution: Execution, *, limit: int = 200) -> list[ExecutionItem]:
    """The first ``limit`` failed items of the execution, in manifest order, with their reasons."""
    return list(
        ExecutionItem.objects.filter(execution=execution, state=ItemState.FAILED).order_by("id")[
            :limit
        ]
    )


def execution_broken_references(execution: Execution, *, limit: int = 200) -> list[Reference]:
    """Broken references of the assets this execution processed, as last processed.

    The references belong to the assets, so for an older execution they show what the latest
    processing of each asset found.
    """
    processed = ExecutionItem.objects.filter(
        execution=execution, state=ItemState.DONE, asset__isnull=False
    ).values("asset_id")
    return list(
        Reference.objects.filter(broken=True, asset_id__in=processed)
        .select_related("asset")
        .order_by("asset__relpath", "line", "id")[:limit]
    )


def log_after(execution: Execution, *, after: int, limit: int = LOG_LIMIT_DEFAULT) -> LogPage:
    """Lines numbered above ``after`` (the cursor pattern), at most ``limit`` of them.

    Costs O(lines returned): a range on the line index. ``has_more`` says whether more were
    written than this page holds.
    """
    limit = max(1, min(limit, LOG_LIMIT_MAX))
    start = max(after + 1, 0)
    lines = list(
        LogLine.objects.filter(execution=execution, line__gte=start).order_by("line")[: limit + 1]
    )
    return LogPage(lines[:limit], start, limit, len(lines) > limit, execution.log_line_count)


def log_before(execution: Execution, *, before: int, limit: int = LOG_LIMIT_DEFAULT) -> LogPage:
    """The ``limit`` lines just before line ``before``; ``has_more`` says whether earlier exist."""
    limit = max(1, min(limit, LOG_LIMIT_MAX))
    end = max(0, min(before, execution.log_line_count))
    start = max(0, end - limit)
    page = log_page(execution, offset=start, limit=end - start)
    return LogPage(page.lines, start, end - start, start > 0, page.total)


# Lines read per query when the whole log is streamed.
LOG_CHUNK_LINES = 2000


def log_chunks(
    execution: Execution, *, chunk: int = LOG_CHUNK_LINES
) -> Iterator[list[tuple[int, datetime, str, str]]]:
    """The whole log as lists of ``(line, time, level, message)``, in line order.

    Each list is one range query on the line index, so memory stays O(chunk) whatever the log's
    size. The log is read up to the ``log_line_count`` of ``execution`` as passed in: lines a
    running execution appends meanwhile are not included.
    """
    end = execution.log_line_count
    for start in range(0, end, chunk):
        yield list(
            LogLine.objects.filter(
                execution=execution, line__gte=start, line__lt=min(start + chunk, end)
            )
            .order_by("line")
            .values_list("line", "time", "level", "message")
        )
