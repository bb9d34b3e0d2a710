"""Executions over a given list of files: the manifest is written when the execution is created,
instead of being walked by its calculation.

Anything that already knows which files need processing (the catch-up, a retry of failed
assets, a restart of either) creates its execution here: its folder is the one the files share,
so the queue refuses it while an execution overlaps that folder, exactly as for a walked one, and
its calculation is complete from the start (slot 0 goes straight to processing).
"""

from collections.abc import Iterable, Sequence
from typing import Any

from .. import content
from ..engine import sql
from ..engine.loglines import INFO
from ..models import CalculationStatus, ExcludedFolder, Execution, ExecutionItem
from ..text import plural
from .errors import Conflict, InvalidInput
from .queue import queue_lock, refuse_overlap, start_waiting_locked
from .validation import content_root
from .webhooks import carried_notify_url

# Files named one by one in the log of an execution over a list; the rest are counted.
_LOG_LIMIT = 20


def execution_create_for_files(
    *,
    path: object,
    relpaths: Iterable[str],
    created_by: str,
    filter_processed_assets: bool = False,
    reason: str = "",
) -> Execution:
    """Queue an execution of exactly ``relpaths`` (relative to the content root, ``/``-separated),
    all of which must lie below the folder ``path``; return it.

    The files are not looked at here: one gone by the time it is processed fails as any missing
    file does. When the execution finishes, the assets of ``path`` that are no longer on disk are
    marked deleted (each is looked at, since the manifest does not list the whole folder), so a
    list may be empty when only deletions are to be recorded. ``reason`` is written to its log.

    Raises InvalidInput for a path that is not a folder of the repository or a file outside it,
    and Conflict when the folder overlaps a waiting or running execution.
    """
    try:
        vpath = content.normalize_path(path, field="path")
        content.resolve_folder(content_root(), vpath, field="path")
    except content.ContentPathError as exc:
        raise InvalidInput(str(exc), field=exc.field) from None
    relfolder = content.to_relpath(vpath)
    prefix = f"{relfolder}/" if relfolder else ""
    files = sorted(set(relpaths))
    for relpath in files:
        if not relpath.startswith(prefix) or relpath == prefix or "\0" in relpath:
            raise InvalidInput(f"{relpath!r} is not a file below {vpath}.", field="relpaths")
    lines = [(INFO, f"Execution created by {created_by} for {vpath}.")]
    if reason:
        lines.append((INFO, reason))
    shown = ", ".join(content.to_virtual(relpath) for relpath in files[:_LOG_LIMIT])
    more = f" and {len(files) - _LOG_LIMIT} more" if len(files) > _LOG_LIMIT else ""
    lines.append(
        (
            INFO,
            f"Manifest of {plural(len(files), 'listed asset')}"
            + (f": {shown}{more}." if files else "."),
        )
    )
    return _queue(
        [vpath],
        files,
        lines,
        path=vpath,
        created_by=created_by,
        filter_processed_assets=filter_processed_assets,
        listed_files=True,
    )


def execution_create_again(
    original: Execution,
    *,
    relpaths: list[str],
    created_by: str,
    line: str,
    retry_failed: bool,
    notify_url: str = "",
) -> Execution:
    """Queue an execution of exactly ``relpaths`` with the paths, exclusions and file types of
    ``original``, linked to it (``restarted_from``): a retry of its failed assets
    (``retry_failed``), or a restart of an execution that was itself over a list (a retry, a
    catch-up), which redoes that list rather than walking its folders. ``line`` is logged.

    Raises Conflict when one of the paths overlaps a waiting or running execution.
    """
    return _queue(
        original.all_paths,
        relpaths,
        [(INFO, line)],
        excluded=list(original.excluded.values_list("path", flat=True)),
        path=original.path,
        paths=original.all_paths,
        created_by=created_by,
        file_types=original.file_types,
        filter_processed_assets=original.filter_processed_assets and not retry_failed,
        restarted_from=original,
        retry_failed=retry_failed,
        listed_files=not retry_failed,
        notify_url=notify_url,
    )


def execution_restart_list(original: Execution, *, by: str) -> Execution:
    """``execution_restart`` of an execution over a list (a retry, a catch-up): the same list
    again, not its whole folders.

    Raises Conflict when retention removed the list, or one of the paths overlaps a waiting or
    running execution.
    """
    if original.pruned_at:
        raise Conflict(
            f"Execution {original.processing_id} was over a list of files, which retention "
            "removed; process its folder instead."
        )
    relpaths = list(
        ExecutionItem.objects.filter(execution=original)
        .order_by("relpath")
        .values_list("relpath", flat=True)
    )
    return execution_create_again(
        original,
        relpaths=relpaths,
        created_by=by,
        line=f"Execution created by {by}: restart of execution {original.processing_id} over "
        f"its list of {plural(len(relpaths), 'asset')}.",
        retry_failed=original.retry_failed,
        notify_url=carried_notify_url(original) or "",
    )


def _queue(
    folders: list[str],
    relpaths: list[str],
    lines: list[tuple[str, str]],
    /,
    *,
    excluded: Sequence[str] = (),
    **fields: Any,
) -> Execution:
    """Queue an execution over ``folders`` (refused where an active one overlaps them) whose
    manifest is ``relpaths``, written here: its calculation is complete from the start, so slot
    0 goes straight to processing. ``fields`` are the execution's; ``lines`` start its log."""
    with queue_lock():
        refuse_overlap(folders)
        execution = Execution.objects.create(
            calculation_status=CalculationStatus.SUCCESS, total_files=len(relpaths), **fields
        )
        now = execution.created_at  # a start at once is never before the creation
        ExcludedFolder.objects.bulk_create(
            ExcludedFolder(execution=execution, path=path) for path in excluded
        )
        sql.add_items(execution_id=execution.pk, pending=relpaths, skipped=[], now=now)
        sql.append_log(execution_id=execution.pk, lines=lines, now=now)
        start_waiting_locked(now)
    execution.refresh_from_db()
    return execution
