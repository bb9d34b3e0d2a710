"""The catch-up: assets changed on disk behind the processor's back are processed without anyone
asking.

Every ``GUIDES_CATCHUP_SECONDS`` one worker process of the installation (whichever moves the
``catchup`` row's due time forward first, ``AutomationState``) walks ``GUIDES_CATCHUP_PATHS``,
stat'ing every file without reading it, and compares each with its asset: a file never
processed, or whose size or modification time differ from its last processing, is to be
processed; a live asset whose file is gone is to be marked deleted. When there is anything, one
execution created by ``system`` is queued over exactly those files
(``manifest.execution_create_for_files``); when there is nothing, nothing is queued and one debug
line is logged. While an execution overlaps the paths, the run waits for the next tick instead.

The watcher (``executions.watch``) asks for a run (``catchup_run``) when files change.
"""

import logging
import os
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from .. import content
from ..engine import sql
from ..models import ACTIVE_STATUSES, AutomationState, Execution
from ..text import plural
from .errors import Conflict, InvalidInput
from .manifest import execution_create_for_files
from .validation import content_root

logger = logging.getLogger(__name__)

CATCHUP = "catchup"
SYSTEM_USER = "system"
# How soon a run that found an overlapping execution is tried again.
_RETRY_SECONDS = 5.0
# The longest a worker's thread sleeps between looks at the due time (another host may have run
# the catch-up, or the period may have been reached).
_LOOK_SECONDS = 60.0


def catchup_paths() -> list[str]:
    """The virtual folders the catch-up (and the watcher) look at, normalised; the ones that are
    not acceptable paths are left out with a warning."""
    paths: list[str] = []
    for raw in settings.GUIDES_CATCHUP_PATHS:
        try:
            path = content.normalize_path(raw, field="GUIDES_CATCHUP_PATHS")
        except content.ContentPathError as exc:
            logger.warning("catch-up: %s", exc)
            continue
        if not any(content.is_within(path, other) for other in paths):
            paths = [other for other in paths if not content.is_within(other, path)] + [path]
    return sorted(paths)


def common_folder(paths: list[str]) -> str:
    """The deepest virtual folder that contains every one of ``paths``."""
    parts = [path.split("/") for path in paths]
    shared = []
    for segments in zip(*parts, strict=False):
        if any(segment != segments[0] for segment in segments):
            break
        shared.append(segments[0])
    folder = "/".join(shared)
    return folder if content.is_within(folder, content.VIRTUAL_ROOT) else content.VIRTUAL_ROOT


@dataclass
class Changes:
    """What a scan found: relpaths to process, and how many of each kind."""

    relpaths: list[str] = field(default_factory=list)
    new: int = 0
    changed: int = 0
    deleted: int = 0
    scanned: int = 0
    seconds: float = 0.0

    @property
    def anything(self) -> bool:
        return bool(self.relpaths or self.deleted)


def catchup_scan(*, paths: list[str]) -> Changes:
    """Walk ``paths`` with a stat of each file (none is read) and compare with the assets.

    One query reads the assets below each path; the walk is ``content.walk``, the same that
    executions use, so hidden names, links and excluded things are treated alike. Files the walk
    cannot hand to processing (links, special files, bad names) are not counted: processing
    them again would change nothing.
    """
    started = time.perf_counter()
    changes = Changes()
    root = content_root()
    for path in paths:
        relfolder = content.to_relpath(path)
        try:
            content.resolve_folder(root, path, field="GUIDES_CATCHUP_PATHS")
        except content.ContentPathError as exc:
            logger.warning("catch-up: %s", exc.message)
            continue
        # The hash of each live asset's relpath to the hash of its (size, mtime), as in
        # ``selection.Fingerprints``: with a dict of relpath to (size, mtime), a scan of a million
        # assets peaked at 364 MB, 216 MB so, in as long (8.2 s). A relpath whose hash another's
        # shares (a 64-bit collision) would be counted changed, not new, and still be processed.
        live: dict[int, int] = {}
        for rows in sql.live_rows(relfolder):
            live.update({hash(relpath): hash((size, mtime)) for relpath, size, mtime in rows})
        for entry in content.walk(root, relfolder, with_mtime=True):
            changes.scanned += 1
            known = live.pop(hash(entry.relpath), None)
            if entry.problem:
                continue
            if known is None:
                changes.new += 1
                changes.relpaths.append(entry.relpath)
            elif known != hash((entry.size, entry.mtime)):
                changes.changed += 1
                changes.relpaths.append(entry.relpath)
        # What is left was not met by the walk: gone from disk.
        changes.deleted += len(live)
    changes.seconds = time.perf_counter() - started
    return changes


@dataclass(frozen=True)
class Outcome:
    """What one run did: ``queued`` (with the execution), ``nothing``, or ``waiting`` (an
    execution overlaps the paths)."""

    result: str
    changes: Changes | None = None
    execution: Execution | None = None


def _state() -> AutomationState:
    state, _ = AutomationState.objects.get_or_create(name=CATCHUP)
    return state


def _holder() -> str:
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def _overlapping(paths: list[str]) -> Execution | None:
    for execution in Execution.objects.filter(status__in=ACTIVE_STATUSES).only(
        "processing_id", "path", "paths"
    ):
        others = content.PathSet(execution.all_paths)
        if any(others.overlapping(path) is not None for path in paths):
            return execution
    return None


def catchup_run(*, trigger: str) -> Outcome:
    """Scan the catch-up paths now and queue one execution over what changed, if anything did
    and no execution overlaps the paths (then ``waiting``: nothing is scanned).

    ``trigger`` says why (``schedule``, ``watch``) in the record of the run.
    """
    paths = catchup_paths()
    if not paths:
        return Outcome("nothing")
    busy = _overlapping(paths)
    if busy is not None:
        logger.debug("catch-up waits: execution %s overlaps its paths", busy.processing_id)
        return Outcome("waiting")
    changes = catchup_scan(paths=paths)
    outcome = Outcome("nothing", changes)
    if changes.anything:
        reason = (
            f"Catch-up ({trigger}) of {', '.join(paths)}: {plural(changes.new, 'new file')}, "
            f"{plural(changes.changed, 'changed file')}, "
            f"{plural(changes.deleted, 'asset')} no longer on disk."
        )
        try:
            execution = execution_create_for_files(
                path=common_folder(paths),
                relpaths=changes.relpaths,
                created_by=SYSTEM_USER,
                filter_processed_assets=True,
                reason=reason,
            )
        except Conflict:
            # An execution was queued between the look above and now: the next tick.
            return Outcome("waiting", changes)
        except InvalidInput as exc:  # the content root or the folder went away meanwhile
            logger.warning("catch-up: %s", exc)
            return Outcome("nothing", changes)
        outcome = Outcome("queued", changes, execution)
        logger.info("catch-up queued execution %s: %s", execution.processing_id, reason)
    else:
        logger.debug(
            "catch-up: nothing to do under %s (%d files looked at in %.2f s)",
            ", ".join(paths),
            changes.scanned,
            changes.seconds,
        )
    _record(outcome, trigger=trigger)
    return outcome


def _record(outcome: Outcome, *, trigger: str) -> None:
    changes = outcome.changes or Changes()
    details: dict[str, Any] = {
        "trigger": trigger,
        "result": outcome.result,
        "scanned": changes.scanned,
        "new": changes.new,
        "changed": changes.changed,
        "deleted": changes.deleted,
        "seconds": round(changes.seconds, 3),
        "processingId": str(outcome.execution.processing_id) if outcome.execution else None,
    }
    AutomationState.objects.filter(pk=_state().pk).update(
        last_run_at=timezone.now(), runs=F("runs") + 1, details=details
    )


def catchup_tick() -> float:
    """Run the scheduled catch-up if it is due and this process wins it; return how many
    seconds until it should be looked at again. Called by every worker's background thread.
    """
    period = settings.GUIDES_CATCHUP_SECONDS
    if period <= 0:
        return _LOOK_SECONDS
    state = _state()
    now = timezone.now()
    if state.due_at is None:
        # First seen: due one period from now (a cluster that starts does not scan at once).
        AutomationState.objects.filter(pk=state.pk, due_at__isnull=True).update(
            due_at=now + timedelta(seconds=period)
        )
        return min(period, _LOOK_SECONDS)
    latest = now + timedelta(seconds=period)
    if state.due_at > latest:
        # The period was shortened since the due time was set (a restart with a new
        # GUIDES_CATCHUP_SECONDS): it applies now, not after the old period has run out.
        AutomationState.objects.filter(pk=state.pk, due_at__gt=latest).update(due_at=latest)
        return _until(latest, now)
    if state.due_at > now:
        return _until(state.due_at, now)
    # Move the due time forward, if no other process did it first: the winner runs it.
    won = (
        AutomationState.objects.filter(pk=state.pk)
        .filter(Q(due_at__lte=now))
        .update(due_at=now + timedelta(seconds=period), holder=_holder())
    )
    if not won:
        return 0.5
    outcome = catchup_run(trigger="schedule")
    after = timezone.now()
    # The next run is a whole period after this one ended (a slow scan does not run back to
    # back); one that waited on an overlapping execution looks again soon.
    due = after + timedelta(seconds=_RETRY_SECONDS if outcome.result == "waiting" else period)
    AutomationState.objects.filter(pk=state.pk).update(due_at=due)
    return _until(due, after)


def _until(when: datetime, now: datetime) -> float:
    return min(max((when - now).total_seconds(), 0.2), _LOOK_SECONDS)


def catchup_state() -> dict[str, Any]:
    """The catch-up's settings and its last run (the system status)."""
    state = AutomationState.objects.filter(name=CATCHUP).first()
    return {
        "enabled": settings.GUIDES_CATCHUP_SECONDS > 0,
        "seconds": settings.GUIDES_CATCHUP_SECONDS,
        "paths": catchup_paths(),
        "runs": state.runs if state else 0,
        "lastRunAt": state.last_run_at if state else None,
        "nextRunAt": state.due_at if state and settings.GUIDES_CATCHUP_SECONDS > 0 else None,
        "lastRun": state.details if state and state.details else None,
    }
