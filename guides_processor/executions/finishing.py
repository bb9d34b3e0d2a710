"""Finishing an execution: once its manifest is complete and every item final, the assets gone
from its folder are marked deleted, the link pass judges key and file references against the
repository (``engine/sql/keys.py``; a large one's key references in a helper process beside it,
``engine/keyhelper.py``), and the summary is written.
"""

from datetime import datetime

from django.utils import timezone

from .. import content
from ..engine import sql
from ..engine.keyhelper import key_helper
from ..engine.loglines import INFO, WARN
from ..models import (
    RUNNING_STATUSES,
    CalculationStatus,
    Execution,
    ExecutionItem,
    ExecutionStatus,
    ItemState,
)
from ..selectors.status import execution_timings
from ..text import plural
from .queue import queue_lock, start_waiting_locked
from .validation import content_root
from .webhooks import deliveries_create

# Undefined keys listed one by one in the log when an execution finishes.
_KEY_LOG_LIMIT = 100


def finish_if_complete(execution_id: int) -> bool:
    """Finish the execution when its manifest is complete and every item is final.

    Returns True when the execution is finished (now, or already).
    """

    def complete() -> bool | None:
        state = (
            Execution.objects.filter(pk=execution_id)
            .values_list("status", "calculation_status")
            .first()
        )
        if state is None or state[0] not in RUNNING_STATUSES:
            return True
        if state[1] != CalculationStatus.SUCCESS:
            return False
        if ExecutionItem.objects.filter(
            execution_id=execution_id, state=ItemState.PENDING
        ).exists():
            return False
        return None

    # Look first without a transaction: this is asked often, and usually the answer is no.
    answer = complete()
    # Whether a helper process of the link pass would see what this one sees (but for the
    # finish's own writes): not when this runs inside a transaction (as in most tests).
    committed = sql.BACKEND.shared()
    if answer is not None:
        return answer
    # The queue lock comes first, as everywhere, so that no two transactions wait on each other.
    with queue_lock():
        answer = complete()
        if answer is not None:
            return answer
        now = timezone.now()
        # Claim the right to finish before the key pass, so that it runs once.
        if not Execution.objects.filter(pk=execution_id, status__in=RUNNING_STATUSES).update(
            status=ExecutionStatus.SUCCESS, completed_at=now
        ):
            return True
        execution = Execution.objects.get(pk=execution_id)
        sql.plan_without_jit()
        deleted, revived = _mark_vanished(execution, now)
        scope = sql.LinkScope(execution_id, [*deleted, *revived])
        before = None if scope.idle else sql.broken_elsewhere(execution_id)
        with key_helper(scope, committed=committed) as helper:
            sql.index_used_in(execution_id)
            undefined = sql.resolve_keys(scope, helper=helper.deliver if helper else None)
        changed_elsewhere = 0 if before is None else sql.broken_elsewhere(execution_id) - before
        by_reason = sql.broken_references_by_reason(execution_id)
        broken = sum(by_reason.values())
        # Used in was filled just now: without statistics, PostgreSQL read every row naming a
        # file before the first page of its Used in (a file 100,000 references name: the page
        # took 238 ms, and 13 ms once they were there). A look at pg_stat when nothing changed.
        sql.refresh_statistics()
        # The execution ends when its link pass has been written, not when it began: that is
        # what a caller waits for, and what the duration reports.
        ended = timezone.now()
        comments = (
            f"{execution.processed_count:,} processed, {execution.failed_count:,} failed, "
            f"{execution.skipped_count:,} skipped; {plural(broken, 'broken reference')}."
        )
        Execution.objects.filter(pk=execution_id).update(
            broken_reference_count=broken,
            broken_by_reason=by_reason,
            comments=comments,
            completed_at=ended,
        )
        lines = _link_pass_lines(len(deleted), undefined, changed_elsewhere)
        # Its last run (since the start or the latest resume), as the status reports it.
        execution.completed_at = ended  # as written above, not the claim's time
        run = execution_timings(execution)
        seconds, rate = run.seconds or 0.0, run.rate or 0.0
        lines.append(
            (INFO, f"Execution completed in {seconds:.1f} s ({rate:.0f} assets/s): {comments}")
        )
        sql.append_log(execution_id=execution_id, lines=lines, now=ended)
        deliveries_create(execution_id=execution_id, now=ended)
        start_waiting_locked(ended)
    return True


def _link_pass_lines(
    deleted: int, undefined: list[tuple[str, int, str]], changed_elsewhere: int
) -> list[tuple[str, str]]:
    """The log lines of the finish before its summary: the assets marked deleted, the undefined
    keys, and what the link pass changed for other assets' links (those leading into what the
    execution processed, deleted or brought back), which the summary's count leaves out."""
    lines = []
    if deleted:
        lines.append((INFO, f"{plural(deleted, 'asset')} no longer on disk, marked deleted."))
    lines += [
        (
            WARN,
            f'Undefined key "{key}": {plural(count, "reference")}, '
            f"first in {content.to_virtual(first)}.",
        )
        for key, count, first in undefined[:_KEY_LOG_LIMIT]
    ]
    if len(undefined) > _KEY_LOG_LIMIT:
        lines.append((WARN, f"... and {len(undefined) - _KEY_LOG_LIMIT} more undefined keys."))
    if changed_elsewhere > 0:
        more = plural(changed_elsewhere, "more broken reference")
        lines.append(
            (
                WARN,
                f"Links of other assets judged again: {more} than before (they lead into what "
                "this execution changed; see the broken-links report).",
            )
        )
    elif changed_elsewhere < 0:
        fewer = plural(-changed_elsewhere, "broken reference")
        lines.append((INFO, f"Links of other assets judged again: {fewer} fewer than before."))
    return lines


def _mark_vanished(execution: Execution, now: datetime) -> tuple[list[str], list[str]]:
    """``sql.mark_vanished`` over each path of the execution, then ``sql.mark_gone_meanwhile``
    (files of the manifest that went while it ran): (deleted, revived) relpaths."""
    deleted, revived = _mark_unlisted(execution, now)
    meanwhile = sql.mark_gone_meanwhile(execution_id=execution.pk, root=content_root(), now=now)
    if meanwhile:
        again = set(meanwhile)
        revived = [relpath for relpath in revived if relpath not in again]
        deleted += meanwhile
    return deleted, revived


def _mark_unlisted(execution: Execution, now: datetime) -> tuple[list[str], list[str]]:
    """``sql.mark_vanished`` over each path of the execution: (deleted, revived) relpaths."""
    excluded = [
        content.to_relpath(path) for path in execution.excluded.values_list("path", flat=True)
    ]
    # Files left out of the manifest on purpose (by a filter, as unchanged, or because it
    # was given as a list) are still on disk: those are looked at.
    other_filters = bool(
        execution.file_types
        or execution.modified_after
        or execution.modified_before
        or execution.listed_files
        or execution.retry_failed
    )
    filtered = other_filters or execution.filter_processed_assets
    relfolders = [content.to_relpath(path) for path in execution.all_paths]
    # Left out as unchanged and nothing else: when the assets the manifest lacks are just those
    # files, none is gone (``none_vanished``).
    if (
        execution.filter_processed_assets
        and not other_filters
        and sql.none_vanished(
            execution_id=execution.pk,
            relfolders=relfolders,
            unchanged=execution.unchanged_count,
        )
    ):
        return [], []
    deleted: list[str] = []
    revived: list[str] = []
    # Each path of the execution in turn: the assets below one of them that its manifest does
    # not hold are gone (the paths never contain each other, so none is looked at twice).
    for relfolder in relfolders:
        gone, back = sql.mark_vanished(
            execution_id=execution.pk,
            relfolder=relfolder,
            excluded=excluded,
            filtered=filtered,
            root=content_root(),
            now=now,
        )
        deleted += gone
        revived += back
    return deleted, revived
