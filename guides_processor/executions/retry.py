"""Retry failed only: a new execution over exactly the assets that failed in a finished one."""

import os

from ..models import (
    FINISHED_STATUSES,
    Execution,
    ExecutionItem,
    ItemState,
)
from ..text import plural
from .errors import Conflict
from .lifecycle import execution_get
from .manifest import execution_create_again
from .retention import removed_words
from .validation import content_root


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
            f"The failed assets of execution {original.processing_id} cannot be retried: "
            f"{removed_words(original)}; restart it instead."
        )
    failed = list(
        ExecutionItem.objects.filter(execution=original, state=ItemState.FAILED)
        .order_by("relpath")
        .values_list("relpath", flat=True)
    )
    if not failed:
        raise Conflict(f"Execution {original.processing_id} has no failed assets to retry.")
    # A file gone from disk would only fail again ("file not found"): left out, and said.
    root = content_root()
    present = [relpath for relpath in failed if os.path.lexists(root / relpath)]
    gone = len(failed) - len(present)
    if not present:
        raise Conflict(
            f"The {plural(gone, 'asset')} that failed in execution {original.processing_id} "
            f"{'is' if gone == 1 else 'are'} no longer on disk: there is nothing to retry."
        )
    left_out = f" ({plural(gone, 'other')} no longer on disk, left out)" if gone else ""
    return execution_create_again(
        original,
        relpaths=present,
        created_by=by,
        line=f"Execution created by {by}: retry of the {plural(len(present), 'asset')} that "
        f"failed in execution {original.processing_id}{left_out}.",
        retry_failed=True,
    )
