"""The state changes an operator asks for, and the one the engine makes when it cannot go on.

Each is a compare-and-swap update along the edges of ``models.TRANSITIONS``: the UPDATE names the
statuses it may leave (``sources_of``), so a change that is not allowed changes nothing and raises
``Conflict``.
"""

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from .. import content, processing
from ..engine import sql
from ..engine.loglines import ERROR, INFO
from ..models import (
    FINISHED_STATUSES,
    PROCESSING_TYPE,
    CalculationStatus,
    ExcludedFolder,
    Execution,
    ExecutionItem,
    ExecutionSlot,
    ExecutionStatus,
    ItemState,
    sources_of,
)
from ..text import plural
from .errors import Conflict, InvalidInput, NotFound
from .manifest import execution_restart_list
from .queue import queue_lock, refuse_overlap, start_waiting_locked
from .retention import past_retention, removed_words
from .validation import content_root, epoch_ms, validate
from .webhooks import carried_notify_url, deliveries_create, notify_url_checked

logger = logging.getLogger(__name__)


def _get(processing_id: object) -> Execution:
    if processing_id is None or (isinstance(processing_id, str) and not processing_id.strip()):
        # As the operations that take it in a body say: none was given, rather than "no such".
        raise InvalidInput("processingId is required.", field="processingId")
    try:
        key = uuid.UUID(str(processing_id))
    except ValueError:
        raise NotFound(f"No execution has the processingId {processing_id!r}.") from None
    try:
        return Execution.objects.get(processing_id=key)
    except Execution.DoesNotExist:
        raise NotFound(f"No execution has the processingId {processing_id}.") from None


def execution_get(*, processing_id: object) -> Execution:
    """The execution with this processingId, or NotFound."""
    return _get(processing_id)


def execution_create(
    *,
    path: object = None,
    paths: Iterable[object] = (),
    created_by: str,
    excluded_paths: Iterable[object] = (),
    file_types: Iterable[object] = (),
    filter_processed_assets: bool = False,
    start_time: object = None,
    end_time: object = None,
    processing_type: object = PROCESSING_TYPE,
    restarted_from: Execution | None = None,
    notify_url: object = None,
) -> Execution:
    """Queue a new execution over ``path`` and/or ``paths`` (folders or files; ``path`` first,
    duplicates dropped) and return it. Its ``path`` is the first of them.

    ``notify_url`` is told when it ends, besides ``GUIDES_WEBHOOK_URLS`` (``webhooks``).
    Raises InvalidInput for a path, exclusion, type, filter or notify URL that is not acceptable
    (paths that overlap each other included), and Conflict when one of the paths overlaps a
    waiting or running execution.
    """
    request = validate(
        path=path,
        paths=paths,
        excluded_paths=excluded_paths,
        file_types=file_types,
        filter_processed_assets=filter_processed_assets,
        start_time=start_time,
        end_time=end_time,
        processing_type=processing_type,
    )
    notify = notify_url_checked(notify_url)
    with queue_lock():
        refuse_overlap(request.paths)
        execution = Execution.objects.create(
            path=request.path,
            paths=list(request.paths),
            created_by=created_by,
            file_types=list(request.file_types),
            filter_processed_assets=request.filter_processed_assets,
            modified_after=request.modified_after,
            modified_before=request.modified_before,
            restarted_from=restarted_from,
            notify_url=notify,
        )
        # Its creation's time, so that a start at once is never before it.
        now = execution.created_at
        ExcludedFolder.objects.bulk_create(
            ExcludedFolder(execution=execution, path=excluded)
            for excluded in request.excluded_paths
        )
        lines = [(INFO, f"Execution created by {created_by} for {', '.join(request.paths)}.")]
        if request.excluded_paths:
            lines.append((INFO, "Excluded folders: " + ", ".join(request.excluded_paths) + "."))
        if restarted_from is not None:
            lines.append((INFO, f"Restart of execution {restarted_from.processing_id}."))
        sql.append_log(execution_id=execution.pk, lines=lines, now=now)
        start_waiting_locked(now)
    execution.refresh_from_db()
    return execution


def execution_cancel(*, processing_id: object, by: str) -> Execution:
    """Cancel a waiting execution at once, or ask a running one to stop.

    A running execution becomes CANCELLING; its workers stop between assets and the last one marks
    it CANCELLED. Raises NotFound, or Conflict when it is already finished or cancelling.
    """
    execution = _get(processing_id)
    now = timezone.now()
    with transaction.atomic():
        if Execution.objects.filter(pk=execution.pk, status=ExecutionStatus.WAITING).update(
            status=ExecutionStatus.CANCELLED,
            completed_at=now,
            comments=f"Cancelled by {by} before it started.",
        ):
            sql.append_log(
                execution_id=execution.pk,
                lines=[(INFO, f"Cancelled by {by} while waiting.")],
                now=now,
            )
            deliveries_create(execution_id=execution.pk, now=now)
        elif Execution.objects.filter(pk=execution.pk, status=ExecutionStatus.IN_PROGRESS).update(
            status=ExecutionStatus.CANCELLING
        ):
            sql.append_log(
                execution_id=execution.pk, lines=[(INFO, f"Cancel requested by {by}.")], now=now
            )
        else:
            execution.refresh_from_db()
            raise Conflict(
                f"Execution {execution.processing_id} is {execution.get_status_display().lower()}; "
                "only waiting or running executions can be cancelled."
            )
    if not any_slot_alive(execution.pk, now):
        # Nobody is working on it (no cluster running): there is no one to stop, so stop it here.
        cancel_complete(execution.pk, force=True)
    execution.refresh_from_db()
    return execution


def execution_cancel_abandoned(*, processing_id: object, by: str) -> Execution:
    """Cancel an execution whose only worker was this process and has just been stopped (the
    command line's in-process run, interrupted): it is CANCELLED at once, its leases released,
    so that resume continues it. Raises NotFound, or Conflict when it is already finished.
    """
    execution = execution_cancel(processing_id=processing_id, by=by)
    if execution.status == ExecutionStatus.CANCELLING:
        # This process's slot still looks alive (it beat a moment ago), but it works no more.
        cancel_complete(execution.pk, force=True)
        execution.refresh_from_db()
    return execution


def any_slot_alive(execution_id: int, now: datetime) -> bool:
    fresh = now - timedelta(seconds=settings.GUIDES_STALE_SECONDS)
    return ExecutionSlot.objects.filter(execution_id=execution_id, heartbeat_at__gte=fresh).exists()


class _StillWriting(Exception):
    """A slot still holds a leased batch: the cancel is completed once it has written it."""


def cancel_complete(execution_id: int, *, force: bool) -> None:
    """Make a CANCELLING execution CANCELLED, once no slot holds a batch it may still write.

    Called by each slot between batches (``force`` false): while another slot holds live leases
    it leaves the cancel to the last of them, so that no result is written after CANCELLED and
    the summary's counts are final. With ``force`` (nobody is alive to write: the cancel of an
    execution without workers, the watchdog, an interrupted in-process run) the leases are
    released instead; a late writer then finds nothing it owns and writes nothing.
    """
    try:
        with queue_lock():
            # The clock is read once the lock is held: a batch written while this waited for it
            # has log lines stamped later than a time read before, and the summary must come last.
            now = timezone.now()
            # The status UPDATE comes first: it waits for claims in flight (they read the status
            # under a shared lock), so every lease taken before it is seen below.
            done = Execution.objects.filter(
                pk=execution_id, status=ExecutionStatus.CANCELLING
            ).update(
                status=ExecutionStatus.CANCELLED,
                completed_at=now,
                calculation_status=Case(
                    When(
                        calculation_status=CalculationStatus.IN_PROGRESS,
                        then=Value(CalculationStatus.WAITING),
                    ),
                    default=F("calculation_status"),
                ),
            )
            if done:
                leased = ExecutionItem.objects.filter(
                    execution_id=execution_id, state=ItemState.PENDING
                ).exclude(lease_owner="")
                if not force and leased.filter(lease_expires_at__gte=now).exists():
                    raise _StillWriting()
                leased.update(lease_owner="", lease_expires_at=None)
                _cancelled_summary(execution_id, now)
                deliveries_create(execution_id=execution_id, now=now)
            start_waiting_locked(now)
    except _StillWriting:
        return


def _cancelled_summary(execution_id: int, now: datetime) -> None:
    execution = Execution.objects.get(pk=execution_id)
    remaining = ExecutionItem.objects.filter(
        execution_id=execution_id, state=ItemState.PENDING
    ).count()
    walked = execution.calculation_status == CalculationStatus.SUCCESS
    # Every file done, but not the link pass (which resume runs); or nothing listed yet.
    if walked and not remaining:
        summary = (
            f"Cancelled after all {plural(execution.total_files, 'asset')}, before the link "
            "check of their references; resume runs it."
        )
    elif not walked and not execution.total_files:
        summary = "Cancelled while listing the folder, before any asset; resume goes on with it."
    else:
        summary = (
            f"Cancelled after {execution.triggered_count:,} of {execution.total_files:,} "
            f"assets; {remaining:,} remain"
            + ("" if walked else " (the folder walk was not finished)")
            + ". Resume continues with them."
        )
    Execution.objects.filter(pk=execution_id).update(comments=summary)
    sql.append_log(execution_id=execution_id, lines=[(INFO, summary)], now=now)


def execution_resume(*, processing_id: object, by: str) -> Execution:
    """Queue a cancelled or failed execution again; it continues with the items still pending.

    Raises NotFound, or Conflict when it is not cancelled or failed, when its folder is missing,
    or when its path now overlaps another active execution.
    """
    execution = _get(processing_id)
    now = timezone.now()
    with queue_lock():
        execution.refresh_from_db()
        if execution.status not in sources_of(ExecutionStatus.WAITING):
            raise Conflict(
                f"Execution {execution.processing_id} is {execution.get_status_display().lower()}; "
                "only cancelled or failed executions can be resumed."
            )
        if execution.pruned_at or past_retention(execution, now):
            # Its manifest is (or is about to be) deleted: resuming would process nothing.
            raise Conflict(
                f"Execution {execution.processing_id} cannot be resumed: "
                f"{removed_words(execution)}; restart it instead."
            )
        for path in execution.all_paths:
            try:
                content.resolve_target(content_root(), path)
            except content.ContentPathError as exc:
                # Resuming would only fail again at once: say why now, and change nothing.
                why = exc.message.rstrip(".")
                raise Conflict(
                    f"Execution {execution.processing_id} cannot be resumed: its folder is "
                    f"missing or unusable ({why}). Put the folder back, then resume."
                ) from None
        refuse_overlap(execution.all_paths, ignore=execution.pk)
        resumed = Execution.objects.filter(
            pk=execution.pk, status__in=sources_of(ExecutionStatus.WAITING)
        ).update(status=ExecutionStatus.WAITING, completed_at=None, comments="")
        if not resumed:
            execution.refresh_from_db()
            raise Conflict(
                f"Execution {execution.processing_id} is {execution.get_status_display().lower()}; "
                "only cancelled or failed executions can be resumed."
            )
        lines = []
        retried = _retry_missing(execution.pk, only_present=True)
        if retried:
            lines.append(
                (INFO, f"{plural(retried, 'asset')} reported missing before are back; retried.")
            )
        remaining = ExecutionItem.objects.filter(
            execution=execution, state=ItemState.PENDING
        ).count()
        lines.append((INFO, f"Resumed by {by}; {remaining} assets remain in the manifest."))
        sql.append_log(execution_id=execution.pk, lines=lines, now=now)
        start_waiting_locked(now)
    execution.refresh_from_db()
    return execution


def _retry_missing(execution_id: int, *, only_present: bool) -> int:
    """Make items that failed only because their file was missing pending again; return how many.

    A folder being removed (``rm -rf``) deletes its files before the folder itself, so the
    batches processed meanwhile find them missing: that is the folder's fate, not the assets'.
    With ``only_present``, only the items whose file is there again.
    """
    missing = ExecutionItem.objects.filter(
        execution_id=execution_id, state=ItemState.FAILED, error=processing.NOT_FOUND
    )
    ids = list(missing.values_list("pk", "relpath"))
    if only_present:
        root = content_root()
        ids = [(pk, relpath) for pk, relpath in ids if (root / relpath).is_file()]
    if not ids:
        return 0
    count = ExecutionItem.objects.filter(
        pk__in=[pk for pk, _ in ids], state=ItemState.FAILED
    ).update(state=ItemState.PENDING, error="", finished_at=None, lease_owner="")
    Execution.objects.filter(pk=execution_id).update(failed_count=F("failed_count") - count)
    return count


def execution_restart(*, processing_id: object, by: str) -> Execution:
    """A new execution with the paths, exclusions and filter of a finished one, linked to it.
    One that was over a list of files (a retry of failed assets, a catch-up) is restarted over
    the same list, not over its whole folders.

    Raises NotFound, and Conflict when the execution is still active, the path overlaps another
    active execution, the list was removed by retention, or its folder no longer exists.
    """
    original = _get(processing_id)
    if original.status not in FINISHED_STATUSES:
        raise Conflict(
            f"Execution {original.processing_id} is {original.get_status_display().lower()}; "
            "only finished executions can be restarted (cancel it first)."
        )
    if original.listed_files or original.retry_failed:
        return execution_restart_list(original, by=by)
    try:
        return execution_create(
            paths=original.all_paths,
            created_by=by,
            excluded_paths=list(original.excluded.values_list("path", flat=True)),
            file_types=original.file_types,
            filter_processed_assets=original.filter_processed_assets,
            start_time=epoch_ms(original.modified_after),
            end_time=epoch_ms(original.modified_before),
            restarted_from=original,
            notify_url=carried_notify_url(original),
        )
    except InvalidInput as exc:  # not the request's fault: its folder is gone (as for resume)
        why = exc.message.removeprefix(f"{exc.field}: ").rstrip(".")
        raise Conflict(
            f"Execution {original.processing_id} cannot be restarted: {why}. Put it back, then "
            "restart."
        ) from None


def execution_fail(*, execution_id: int, reason: str, folder_gone: bool = False) -> None:
    """Mark a running execution FAILED: the job itself cannot go on. Resume can continue it.

    ``reason`` is kept in ``comments``, which the status object shows. With ``folder_gone`` (the
    execution's folder disappeared) the assets that batches found missing meanwhile are not
    blamed: they are pending again, for resume once the folder is back.
    """
    now = timezone.now()
    with queue_lock():
        failed = Execution.objects.filter(
            pk=execution_id, status__in=sources_of(ExecutionStatus.FAILED)
        ).update(status=ExecutionStatus.FAILED, completed_at=now, comments=reason)
        if failed:
            ExecutionItem.objects.filter(
                execution_id=execution_id, state=ItemState.PENDING
            ).exclude(lease_owner="").update(lease_owner="", lease_expires_at=None)
            lines = [(ERROR, f"Execution failed: {reason}")]
            if folder_gone:
                unblamed = _retry_missing(execution_id, only_present=False)
                again = f"{plural(unblamed, 'asset')} found missing while the folder was being"
                if unblamed:
                    lines.append((INFO, f"{again} removed are pending again; resume retries them."))
            sql.append_log(execution_id=execution_id, lines=lines, now=now)
            deliveries_create(execution_id=execution_id, now=now)
            logger.error("execution %s failed: %s", execution_id, reason)
        start_waiting_locked(now)
