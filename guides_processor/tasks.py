"""django-q2 entry points. Each is a thin call into the services; ids in, nothing returned of note.

Besides the tasks, every worker process of a cluster runs a background thread: it writes the
process's heartbeat every ``GUIDES_HEARTBEAT_SECONDS`` (how the command line sees at once whether a
cluster runs, see ``cluster``), and runs the watchdog every ``GUIDES_WATCHDOG_SECONDS``:
django-q2's scheduler looks at its schedules only every 30 s and schedules run at most once a
minute, too slow to notice quickly that every worker of an execution died. The scheduled
``watchdog`` task stays as a second line.

A second thread runs the automation: the catch-up every ``GUIDES_CATCHUP_SECONDS`` (to the
second, which a per-minute schedule could not keep; the ``catchup`` lease row picks one process
per period) and, with ``GUIDES_WATCH``, the file watcher (one process at a time, by its lease).
Apart from the heartbeat thread, so that a long scan never delays a heartbeat.
"""

import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.db import connection

from . import executions
from .cluster import cluster_beat
from .engine.slot import execution_work
from .executions import retention as retention_module
from .executions import webhooks
from .executions.catchup import catchup_tick
from .executions.watch import Watcher

logger = logging.getLogger(__name__)


def run_slot(execution_id: int, slot: int, generation: int) -> str:
    """Work on one slot of an execution for a time budget, then hand over to a continuation."""
    return execution_work(execution_id=execution_id, slot=slot, generation=generation)


def watchdog() -> int:
    """Scheduled every minute: recover executions whose workers went silent."""
    return executions.executions_recover()


def webhook_deliver(delivery_id: int) -> bool:
    """Try one notification of an execution's end, if it is due; a failed try schedules the next."""
    return webhooks.delivery_attempt(delivery_id=delivery_id)


def webhook_sweep() -> int:
    """Scheduled every minute: try the notifications that are due, whatever became of their
    worker or their retry schedule."""
    return webhooks.deliveries_due()


def retention() -> int:
    """Scheduled daily: delete the logs and manifests of executions finished long ago, and the
    status jobs of the day before."""
    retention_module.status_jobs_prune()
    return retention_module.executions_prune()


def start_watchdog_thread(**kwargs: Any) -> None:
    """Receiver of django-q2's ``post_spawn``, sent in each new worker process."""
    beat = settings.GUIDES_HEARTBEAT_SECONDS
    watch = settings.GUIDES_WATCHDOG_SECONDS
    if beat <= 0 and watch <= 0:
        return
    thread = threading.Thread(
        target=_watch, args=(beat, watch), name="guides-watchdog", daemon=True
    )
    thread.start()
    start_automation_thread()


def start_automation_thread() -> threading.Thread | None:
    """Start the catch-up and watch thread of this process, when either is on."""
    if settings.GUIDES_CATCHUP_SECONDS <= 0 and not settings.GUIDES_WATCH:
        return None
    thread = threading.Thread(target=_automate, name="guides-automation", daemon=True)
    thread.start()
    return thread


# How often the automation thread looks at the watcher's burst (and renews its lease).
_WATCH_TICK_SECONDS = 0.5


def _automate() -> None:
    stop = threading.Event()
    watcher = Watcher() if settings.GUIDES_WATCH else None
    next_catchup = 0.0
    while True:
        try:
            if time.monotonic() >= next_catchup:
                next_catchup = time.monotonic() + catchup_tick()
            if watcher is not None:
                watcher.tick()
            connection.close_if_unusable_or_obsolete()
        except Exception:  # the database may be away; the next round tries again
            logger.warning("automation round failed", exc_info=True)
            connection.close()
            next_catchup = time.monotonic() + 5
        wait = max(next_catchup - time.monotonic(), 0.05)
        if watcher is not None:
            wait = min(wait, _WATCH_TICK_SECONDS)
        if stop.wait(wait):
            return


def _watch(beat: float, watch: float) -> None:
    stop = threading.Event()
    tick = min(value for value in (beat, watch) if value > 0)
    last_watch = time.monotonic()
    while True:
        try:
            if beat > 0:
                cluster_beat()
            if watch > 0 and time.monotonic() - last_watch >= watch:
                last_watch = time.monotonic()
                executions.executions_recover()
            connection.close_if_unusable_or_obsolete()
        except Exception:  # the database may be away; the next round tries again
            logger.warning("watchdog round failed", exc_info=True)
            connection.close()
        if stop.wait(tick):
            return
