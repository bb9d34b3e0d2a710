"""django-q2 entry points. Each is a thin call into the services; ids in, nothing returned of note.

Besides the tasks, every worker process of a cluster runs the watchdog in a background thread
every ``GUIDES_WATCHDOG_SECONDS``: django-q2's scheduler looks at its schedules only every 30 s and
schedules run at most once a minute, too slow to notice quickly that every worker of an execution
died. The scheduled ``watchdog`` task stays as a second line.
"""

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import connection

from . import executions
from .engine.slot import execution_work
from .executions import retention as retention_module
from .executions import webhooks

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
    """Scheduled daily: delete the logs and manifests of executions finished long ago."""
    return retention_module.executions_prune()


def ping() -> str:
    """Answered by any running cluster; the command line uses it to see whether one runs."""
    return "pong"


def start_watchdog_thread(**kwargs: Any) -> None:
    """Receiver of django-q2's ``post_spawn``, sent in each new worker process."""
    interval = settings.GUIDES_WATCHDOG_SECONDS
    if interval <= 0:
        return
    thread = threading.Thread(target=_watch, args=(interval,), name="guides-watchdog", daemon=True)
    thread.start()


def _watch(interval: float) -> None:
    stop = threading.Event()
    while not stop.wait(interval):
        try:
            executions.executions_recover()
        except Exception:  # the database may be away; the next round tries again
            logger.warning("watchdog round failed", exc_info=True)
        finally:
            connection.close()
