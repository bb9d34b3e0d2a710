"""Retention: the log lines and manifest rows of executions that finished more than
``GUIDES_LOG_RETENTION_DAYS`` days ago are deleted, once a day (``tasks.retention``).

The executions stay, with their counts, comments and times, so the history, the status object and
the metrics' totals are unchanged; ``pruned_at`` says when their rows went. Rows are deleted in
bounded batches, each its own short transaction under the queue lock, so that workers and requests
wait at most one batch; each batch checks again that the execution is still finished and old, and
``execution_resume`` refuses an execution that old, so no running execution loses its manifest.

Status jobs (``POST /assets/status``) go a day after they were made, whatever that setting: each
holds up to 20,000 paths, a caller pages through its answer within minutes, and nothing else
removed them.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from ..models import FINISHED_STATUSES, Execution, ExecutionItem, LogLine, StatusJob
from .queue import queue_lock

BATCH_ROWS = 5000
# How long a status job is kept after it was made.
STATUS_JOB_DAYS = 1


def retention_cutoff(now: datetime) -> datetime | None:
    """Executions finished before this lose their log and manifest; None: kept forever."""
    days = settings.GUIDES_LOG_RETENTION_DAYS
    return None if days <= 0 else now - timedelta(days=days)


def past_retention(execution: Execution, now: datetime) -> bool:
    """Whether retention removes (or has removed) the execution's log and manifest: resume
    refuses it, so that no running execution loses them."""
    cutoff = retention_cutoff(now)
    return bool(cutoff and execution.completed_at and execution.completed_at < cutoff)


def removed_words(execution: Execution) -> str:
    """Why an execution's manifest is gone (or going), as the end of a sentence: the day it was
    removed, which the console shows too, else the setting that removes it. Not the answering
    process's setting for a removed one: it may differ from the one that removed it."""
    if execution.pruned_at:
        return f"its log and manifest were removed on {execution.pruned_at:%Y-%m-%d} (retention)"
    return (
        f"it finished more than {settings.GUIDES_LOG_RETENTION_DAYS} days ago, so retention "
        "removes its log and manifest"
    )


def executions_prune(*, now: datetime | None = None, batch: int = BATCH_ROWS) -> int:
    """Delete the log lines and manifest rows of executions finished before the cutoff; returns
    how many executions were pruned."""
    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    if cutoff is None:
        return 0
    old = Execution.objects.filter(
        status__in=FINISHED_STATUSES, completed_at__lt=cutoff, pruned_at__isnull=True
    )
    pruned = 0
    for execution_id in list(old.order_by("id").values_list("pk", flat=True)):
        if _prune(execution_id, cutoff=cutoff, now=now, batch=batch):
            pruned += 1
    return pruned


def _prune(execution_id: int, *, cutoff: datetime, now: datetime, batch: int) -> bool:
    still_old = Execution.objects.filter(
        pk=execution_id, status__in=FINISHED_STATUSES, completed_at__lt=cutoff
    )
    for model in (LogLine, ExecutionItem):
        while True:
            with queue_lock():
                if not still_old.exists():
                    return False
                ids = list(
                    model.objects.filter(execution_id=execution_id)
                    .order_by()
                    .values_list("pk", flat=True)[:batch]
                )
                if ids:
                    model.objects.filter(pk__in=ids).delete()
            if len(ids) < batch:
                break
    return bool(still_old.update(pruned_at=now))


def status_jobs_prune(*, now: datetime | None = None) -> int:
    """Delete the status jobs made more than ``STATUS_JOB_DAYS`` ago; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=STATUS_JOB_DAYS)
    deleted, _ = StatusJob.objects.filter(created_at__lt=cutoff).delete()
    return deleted
