"""Retry failed only: a new execution over exactly the assets that failed in a finished one."""

from django.conf import settings
from django.utils import timezone

from ..engine import sql
from ..engine.loglines import INFO
from ..models import (
    FINISHED_STATUSES,
    CalculationStatus,
    ExcludedFolder,
    Execution,
    ExecutionItem,
    ItemState,
)
from ..text import plural
from .errors import Conflict
from .lifecycle import execution_get
from .queue import queue_lock, refuse_overlap, start_waiting_locked


def execution_retry_failed(*, processing_id: object, by: str) -> Execution:
    """Queue a new execution, linked to the finished one (``restarted_from``), whose manifest is
    the relpaths of the items that FAILED in it, written here: its calculation is done, so the
    engine processes just those.

    Raises NotFound; Conflict when the execution is not finished, failed nothing, its manifest
    was removed by retention, or its path overlaps an active execution.
    """
    original = execution_get(processing_id=processing_id)
    if original.status not in FINISHED_STATUSES:
        raise Conflict(
            f"Execution {original.processing_id} is {original.get_status_display().lower()}; "
            "only the failed assets of a finished execution can be retried."
        )
    if original.pruned_at:
        raise Conflict(
            f"Execution {original.processing_id} finished more than "
            f"{settings.GUIDES_LOG_RETENTION_DAYS} days ago and its manifest is removed; "
            "restart it instead."
        )
    failed = list(
        ExecutionItem.objects.filter(execution=original, state=ItemState.FAILED)
        .order_by("relpath")
        .values_list("relpath", flat=True)
    )
    if not failed:
        raise Conflict(f"Execution {original.processing_id} has no failed assets to retry.")
    now = timezone.now()
    with queue_lock():
        refuse_overlap(original.all_paths)
        execution = Execution.objects.create(
            path=original.path,
            paths=original.all_paths,
            created_by=by,
            file_types=original.file_types,
            restarted_from=original,
            retry_failed=True,
            calculation_status=CalculationStatus.SUCCESS,
            total_files=len(failed),
        )
        ExcludedFolder.objects.bulk_create(
            ExcludedFolder(execution=execution, path=path)
            for path in original.excluded.values_list("path", flat=True)
        )
        sql.add_items(execution_id=execution.pk, pending=failed, skipped=[], now=now)
        sql.append_log(
            execution_id=execution.pk,
            lines=[
                (
                    INFO,
                    f"Execution created by {by}: retry of the {plural(len(failed), 'asset')} "
                    f"that failed in execution {original.processing_id}.",
                )
            ],
            now=now,
        )
        start_waiting_locked(now)
    execution.refresh_from_db()
    return execution
