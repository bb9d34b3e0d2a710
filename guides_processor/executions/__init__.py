"""Every write and every status change of the asset processor, apart from a slot's own work.

The console, the API, the management commands and the django-q2 tasks call these functions and
nothing else, so they cannot disagree. State changes are compare-and-swap updates along the edges
of ``models.TRANSITIONS``; a change that is not allowed raises ``Conflict``.

The job protocol (DESIGN section 3), one module per step:

* ``validation``: what a request may ask for; ``lifecycle.execution_create`` refuses a path that
  overlaps an active execution and queues the execution as WAITING.
* ``queue``: WAITING executions are promoted while fewer than ``GUIDES_MAX_RUNNING`` run, and one
  task is enqueued per slot. The slot's work is ``engine.slot.execution_work``.
* ``lifecycle``: cancel, resume, restart, and failing an execution that cannot go on.
* ``watchdog``: slots whose heartbeat is stale are enqueued again, cancels nobody is left to
  complete are completed.
* ``finishing``: an execution whose manifest is complete and final is finished (the key pass).
* ``inline``: the same work in the calling process, when no cluster runs.
"""

from .errors import Conflict, InvalidInput, NotFound, ServiceError

# Last: it loads the engine, which uses the modules above.
from .inline import execution_calculate, execution_run_inline
from .lifecycle import (
    execution_cancel,
    execution_cancel_abandoned,
    execution_create,
    execution_fail,
    execution_get,
    execution_restart,
    execution_resume,
)
from .queue import executions_start_waiting
from .retry import execution_retry_failed
from .watchdog import executions_recover

__all__ = [
    "Conflict",
    "InvalidInput",
    "NotFound",
    "ServiceError",
    "execution_calculate",
    "execution_cancel",
    "execution_cancel_abandoned",
    "execution_create",
    "execution_fail",
    "execution_get",
    "execution_restart",
    "execution_resume",
    "execution_retry_failed",
    "execution_run_inline",
    "executions_recover",
    "executions_start_waiting",
]
