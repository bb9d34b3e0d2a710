"""The status object of an execution, defined here and only here, and the ETA it reports.

``ExecutionStatusView`` is the one typed status object: the console reads its attributes, and its
``to_dict()`` is the JSON object of the API, with the field names of the product's API page
(``seeds/asset-processing-api.md``): the seed's fields first, then ours. Each field's JSON name
and description are in its metadata, from which the API builds its response schema
(``api.schemas``), so the object, its JSON and its documentation cannot disagree.
"""

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from django.utils import timezone

from ..models import (
    FINISHED_STATUSES,
    RUNNING_STATUSES,
    CalculationStatus,
    Execution,
    ExecutionStatus,
    sources_of,
)


def _json(name: str, description: str, **schema: Any) -> dict[str, Any]:
    """A field's metadata: its JSON name, its description, and what to add to its JSON schema."""
    return {"json": name, "description": description, "schema": schema}


def _to_json(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            item.metadata["json"]: _to_json(getattr(value, item.name))
            for item in dataclasses.fields(value)
        }
    if isinstance(value, tuple):
        return [_to_json(item) for item in value]
    return value


class _JsonObject:
    def to_dict(self) -> dict[str, Any]:
        """The object as the API writes it: JSON names, nested objects as dicts, tuples as lists."""
        data = _to_json(self)
        assert isinstance(data, dict)
        return data


@dataclass(frozen=True)
class MigrationSet(_JsonObject):
    total_files: int = field(
        metadata=_json("totalFiles", "Assets the calculation found to process.")
    )
    calculation_status: str = field(
        metadata=_json(
            "calculationStatus",
            "The state of the folder walk that finds the assets.",
            enum=list(CalculationStatus.values),
        )
    )


@dataclass(frozen=True)
class Eta(_JsonObject):
    value: int = field(
        metadata=_json("value", "Estimated time left; 0 when not running or not yet known.")
    )
    unit: Literal["SECONDS"] = field(metadata=_json("unit", "The unit of value."))


@dataclass(frozen=True)
class StatusFilter(_JsonObject):
    file_types: tuple[str, ...] = field(
        metadata=_json("fileTypes", "Asset types processed; empty means all.")
    )
    filter_processed_assets: bool = field(
        metadata=_json("filterProcessedAssets", "Whether unchanged assets are skipped.")
    )
    start_time: int | None = field(
        metadata=_json(
            "startTime", "Only assets modified at or after this time (epoch ms); null when unset."
        )
    )
    end_time: int | None = field(
        metadata=_json(
            "endTime", "Only assets modified at or before this time (epoch ms); null when unset."
        )
    )


# What an operator may ask of an execution, from the edges of models.TRANSITIONS. Cancel moves a
# waiting execution to CANCELLED and a running one to CANCELLING; CANCELLING's own move to
# CANCELLED is the workers completing a cancel, not one that may be asked again.
CANCEL_FROM = tuple(
    status
    for status in (*sources_of(ExecutionStatus.CANCELLED), *sources_of(ExecutionStatus.CANCELLING))
    if status != ExecutionStatus.CANCELLING
)
# Resume queues the same execution again.
RESUME_FROM = sources_of(ExecutionStatus.WAITING)
# Restart leaves the execution as it is and starts a new one; it only needs it to be finished.
RESTART_FROM = FINISHED_STATUSES


@dataclass(frozen=True)
class ExecutionStatusView(_JsonObject):
    """An execution as the API and the console report it."""

    processing_id: str = field(metadata=_json("processingId", "The id of the execution."))
    path: str = field(metadata=_json("path", "The processed folder (the first of paths)."))
    excluded_paths: tuple[str, ...] = field(
        metadata=_json("excludedPaths", "Sub-folders that are not processed.")
    )
    status: str = field(
        metadata=_json(
            "status",
            "WAITING (queued), IN_PROGRESS, CANCELLING (workers are stopping), SUCCESS, "
            "FAILED (the job itself could not go on) or CANCELLED.",
            enum=list(ExecutionStatus.values),
        )
    )
    triggered_count: int = field(
        metadata=_json("triggeredCount", "Assets processed so far, whatever their outcome.")
    )
    started_at: int = field(
        metadata=_json("startedAt", "When processing started (epoch ms); 0 before it has.")
    )
    completed_at: int = field(
        metadata=_json("completedAt", "When the execution finished (epoch ms); 0 before.")
    )
    has_logs: bool = field(
        metadata=_json(
            "hasLogs", "Whether the execution has log lines (false once retention removed them)."
        )
    )
    created_by: str = field(metadata=_json("createdBy", "The user who started it."))
    type: str = field(metadata=_json("type", "The kind of processing: ASSET_PROCESSING."))
    migration_set: MigrationSet = field(
        metadata=_json("migrationSet", "The calculation of what to process.")
    )
    eta: Eta = field(metadata=_json("eta", "Estimated time left while running."))
    comments: str = field(
        metadata=_json("comments", "A summary of the outcome, or why it failed or stopped.")
    )
    can_restart: bool = field(
        metadata=_json("restartable", "Whether restart is allowed (it is finished).")
    )
    can_resume: bool = field(
        metadata=_json("resumable", "Whether resume is allowed (cancelled or failed).")
    )
    can_cancel: bool = field(
        metadata=_json("cancellable", "Whether cancel is allowed (waiting or in progress).")
    )
    # Ours, beyond the seed.
    paths: tuple[str, ...] = field(
        metadata=_json("paths", "Every processed folder or file, path first.")
    )
    filter: StatusFilter = field(
        metadata=_json("filter", "Which assets of the folder are processed.")
    )
    processed_count: int = field(metadata=_json("processedCount", "Assets processed successfully."))
    failed_count: int = field(metadata=_json("failedCount", "Assets that could not be processed."))
    skipped_count: int = field(metadata=_json("skippedCount", "Assets skipped as unchanged."))
    broken_reference_count: int = field(
        metadata=_json(
            "brokenReferenceCount",
            "Broken references of the assets it processed: while it runs (and when cancelled "
            "or failed before its link check), those processing found alone (a file missing on "
            "disk); once finished, as its link check judged them (keys, element ids), the sum "
            "of brokenReferencesByReason.",
        )
    )
    broken_references_by_reason: dict[str, int] = field(
        metadata=_json(
            "brokenReferencesByReason",
            "The broken references by reason code (FILE_MISSING, ELEMENT_MISSING, "
            "KEY_UNDEFINED, KEY_TARGET_MISSING, OUTSIDE_ROOT, LINK_NOT_FOLLOWED), counted when "
            "the execution finished; empty before.",
        )
    )
    restarted_from: str | None = field(
        metadata=_json(
            "restartedFrom",
            "The processingId this execution restarts; null when it is not a restart.",
        )
    )
    created_at: int = field(
        metadata=_json("createdAt", "When the execution was created (epoch ms).")
    )
    log_line_count: int = field(metadata=_json("logLineCount", "Lines in the log."))
    calculation_done: bool = field(
        metadata=_json("calculationDone", "Whether the folder walk is complete.")
    )
    duration_ms: int = field(
        metadata=_json(
            "durationMs",
            "How long its last run took, in milliseconds: from when it started (or was last "
            "resumed) to its end, or to now while it runs. The time it waited, or sat cancelled "
            "or failed before a resume, is not counted. 0 before it has started and while it "
            "waits to be resumed.",
        )
    )
    throughput: float | None = field(
        metadata=_json(
            "throughput",
            "Assets per second in its last run: those processed, failed or skipped in it over "
            "durationMs. Null when durationMs is 0.",
        )
    )


def _ms(value: datetime | None) -> int:
    return int(value.timestamp() * 1000) if value else 0


def _ms_or_none(value: datetime | None) -> int | None:
    return int(value.timestamp() * 1000) if value else None


def execution_status_view(
    execution: Execution, *, excluded: list[str] | None = None
) -> ExecutionStatusView:
    """The status object of ``execution``.

    ``excluded`` may be passed when already fetched (history prefetches it).
    """
    if excluded is None:
        excluded = [folder.path for folder in execution.excluded.all()]
    status = execution.status
    timings = execution_timings(execution)
    return ExecutionStatusView(
        processing_id=str(execution.processing_id),
        path=execution.path,
        excluded_paths=tuple(excluded),
        paths=tuple(execution.all_paths),
        status=status,
        triggered_count=execution.triggered_count,
        started_at=_ms(execution.started_at),
        completed_at=_ms(execution.completed_at),
        has_logs=execution.log_line_count > 0 and execution.pruned_at is None,
        created_by=execution.created_by,
        type=execution.type,
        migration_set=MigrationSet(
            total_files=execution.total_files,
            calculation_status=execution.calculation_status,
        ),
        eta=Eta(value=eta_seconds(execution), unit="SECONDS"),
        comments=execution.comments,
        can_restart=status in RESTART_FROM,
        # A pruned execution has no manifest left to continue with (executions/retention.py).
        can_resume=status in RESUME_FROM and execution.pruned_at is None,
        can_cancel=status in CANCEL_FROM,
        filter=StatusFilter(
            file_types=tuple(execution.file_types),
            filter_processed_assets=execution.filter_processed_assets,
            start_time=_ms_or_none(execution.modified_after),
            end_time=_ms_or_none(execution.modified_before),
        ),
        processed_count=execution.processed_count,
        failed_count=execution.failed_count,
        skipped_count=execution.skipped_count,
        broken_reference_count=execution.broken_reference_count,
        broken_references_by_reason=dict(execution.broken_by_reason),
        restarted_from=(
            str(execution.restarted_from.processing_id) if execution.restarted_from else None
        ),
        created_at=_ms(execution.created_at),
        log_line_count=execution.log_line_count,
        calculation_done=execution.calculation_status == CalculationStatus.SUCCESS,
        duration_ms=round(timings.seconds * 1000) if timings.seconds is not None else 0,
        throughput=timings.rate,
    )


def execution_status(execution: Execution, *, excluded: list[str] | None = None) -> dict[str, Any]:
    """The status object of ``execution`` as the API writes it (``ExecutionStatusView.to_dict``)."""
    return execution_status_view(execution, excluded=excluded).to_dict()


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


@dataclass(frozen=True)
class Timings:
    """How long an execution's last run took (``seconds``) and how many assets a second it
    went through (``rate``); both None when no run is to be measured."""

    seconds: float | None
    rate: float | None


def execution_timings(execution: Execution, *, now: datetime | None = None) -> Timings:
    """The duration and throughput of the execution's last run: from the start of its current
    segment (``segment_started_at``: when it started, or was last resumed) to its end
    (``completed_at``), or to ``now`` while it runs, and the assets triggered in that segment
    (from ``segment_start_count``) over that time.

    Measured from ``started_at``, a resumed execution counted the time it sat cancelled (or
    failed) and queued before the resume: cancelled at 12:41:00, resumed at 12:41:21 and done
    in a second, it said 21 s and a twentieth of its speed. The runs before the last are not
    added in: the execution keeps no record of when each ended. None and None before it has
    started, and while it waits (queued again after a resume, nothing of that run done yet).
    """
    start = execution.segment_started_at or execution.started_at
    if start is None or execution.status == ExecutionStatus.WAITING:
        return Timings(None, None)
    end = execution.completed_at or now or timezone.now()
    seconds = max((end - start).total_seconds(), 0.001)
    done = execution.triggered_count - (
        execution.segment_start_count if execution.segment_started_at else 0
    )
    return Timings(seconds, max(done, 0) / seconds)
