"""The work of one slot: the loop a django-q2 task runs for its time budget.

A slot's task (``execution_work``) calculates the manifest (slot 0 only, resumable from a cursor,
see ``calculation``), then claims batches of PENDING items under a lease, processes them outside
any transaction and writes what they produced in one short transaction per batch (see ``batch``).
After ``GUIDES_TASK_SECONDS`` it enqueues its own continuation. Each round proves the task alive,
and its slot still its own, in a transaction it writes anyway; a task whose slot was given a new
generation (the watchdog re-enqueued it) stops.

Errors of the database are retried by one policy (``retry``); the periodic looks of the loop
(the status, silent siblings, planner statistics) are spaced by one rule (``Throttle``).
"""

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone

from .. import content
from ..executions.finishing import finish_if_complete
from ..executions.lifecycle import cancel_complete, execution_fail
from ..executions.queue import enqueue_slot
from ..executions.validation import content_root
from ..executions.watchdog import requeue_silent_slots
from ..models import CalculationStatus, Execution, ExecutionStatus
from . import batch, calculation, selection, sql
from .collector import tune_collector

logger = logging.getLogger(__name__)

# How often a working task looks at the execution's status for a cancel.
_CANCEL_POLL_SECONDS = 0.5
# How often a working task looks for sibling slots whose worker died.
_SIBLING_CHECK_SECONDS = 5.0
# How often slot 0 looks whether the planner's statistics of the engine's tables are stale.
_STATISTICS_SECONDS = 5.0
# How long a task with nothing to claim sleeps before it looks again.
IDLE_SLEEP_SECONDS = 0.5
# A batch is sized to take about this long to process (``next_batch_size``), starting from
# the first size, up to GUIDES_BATCH_SIZE.
_BATCH_SECONDS = 1.0
_FIRST_BATCH = 50

CONTINUE = "continue"
STOP = "stop"

# Errors of a database that went away or stayed locked: worth trying again later.
TRANSIENT = (OperationalError, InterfaceError)


def raised_by_interrupt(error: BaseException) -> bool:
    """Whether Ctrl-C (KeyboardInterrupt) is behind ``error``, anywhere in its chain.

    On PostgreSQL, Ctrl-C that strikes after psycopg has sent COMMIT and before the answer came
    leaves the connection busy; Django's ``atomic`` then fails to turn autocommit back on and
    raises ``ProgrammingError`` ("connection in transaction status ACTIVE") in the interrupt's
    place. Such an error is the interrupt, not a fault of the execution: the command line
    cancels the execution as for any Ctrl-C (seen in CI, where the execution was failed instead).
    """
    pending = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, KeyboardInterrupt):
            return True
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False


class Superseded(Exception):
    """This task's slot was taken over (the watchdog gave it a new generation)."""


T = TypeVar("T")


def retry(
    action: Callable[[], T],
    *,
    attempts: int,
    until: float,
    pause: Callable[[int], float],
    message: str,
    execution_id: int,
) -> T:
    """Run ``action``; when the database fails (TRANSIENT), close the connection, sleep
    ``pause(attempt)`` and run it again, up to ``attempts`` runs in all and while the monotonic
    clock is before ``until``. The last failure is raised; ``Superseded`` is never retried.
    """
    attempt = 0
    while True:
        try:
            return action()
        except TRANSIENT as error:
            if raised_by_interrupt(error):
                raise  # not retried: the task's caller turns it into the interrupt
            if attempt + 1 >= attempts or time.monotonic() >= until:
                raise
            logger.warning(message, execution_id, exc_info=True)
            connection.close()
            time.sleep(pause(attempt))
            attempt += 1


class Throttle:
    """Says whether something done periodically is due: at most once every ``seconds``, or
    whenever forced."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.last = 0.0

    def due(self, *, force: bool = False) -> bool:
        now = time.monotonic()
        if not force and now - self.last < self.seconds:
            return False
        self.last = now
        return True


# One per process, not per task: the in-process runner starts a task every second.
_statistics = Throttle(_STATISTICS_SECONDS)
# The batch size a task left its slot at, for the next task of the slot in this process (the
# command line's runners loop over tasks of a second: each starting again from the first size
# made its batches small). Taken by the next task; left only by a task that continues here. By
# processing id: a row id can come back (SQLite reuses the ids of rolled-back rows).
_batch_sizes: dict[tuple[uuid.UUID, int], int] = {}


def execution_work(
    *,
    execution_id: int,
    slot: int,
    generation: int,
    seconds: float | None = None,
    enqueue_continuation: bool = True,
) -> str:
    """Work on an execution for at most ``seconds`` as slot ``slot``; return CONTINUE or STOP.

    CONTINUE means there may be more to do: the continuation is enqueued unless
    ``enqueue_continuation`` is false (the in-process runner loops instead). Errors of the
    database are retried for as long as the time budget lasts; after that the slot goes silent
    and the watchdog enqueues it again. Any other error fails the execution with its reason.
    """
    tune_collector()
    budget = settings.GUIDES_TASK_SECONDS if seconds is None else seconds
    worker = SlotWorker(execution_id, slot, generation, time.monotonic() + budget)
    worker.continues_here = not enqueue_continuation
    try:
        outcome = worker.run()
    except Superseded:
        return STOP
    except Exception as error:
        if raised_by_interrupt(error):
            connection.close()  # it may still wait for the answer to what was sent
            raise KeyboardInterrupt from error
        return _stopped_by(error, execution_id, slot)
    if outcome == CONTINUE and enqueue_continuation:
        enqueue_slot(execution_id, slot, generation)
    return outcome


def _stopped_by(error: Exception, execution_id: int, slot: int) -> str:
    """Deal with an error that stopped a slot's task: a database error leaves the slot to the
    watchdog; any other fails the execution with its reason."""
    if isinstance(error, TRANSIENT):
        logger.exception(
            "execution %s slot %s: database unavailable; the watchdog will retry",
            execution_id,
            slot,
        )
        connection.close()
        return STOP
    # A bug, or the machine in a state we cannot handle: say so.
    logger.exception("execution %s slot %s failed", execution_id, slot)
    connection.close()
    execution_fail(
        execution_id=execution_id, reason=f"internal error: {type(error).__name__}: {error}"
    )
    return STOP


def next_batch_size(
    size: int, *, claimed: int, processed: int, seconds: float, largest: int
) -> int:
    """The size of the next claim, after a batch of ``size`` asked for, ``claimed`` got and
    ``processed`` processed in ``seconds``: what processing at that pace does in
    ``_BATCH_SECONDS``, at most twice ``size`` and at most ``largest``, at least one.

    Each batch costs a claim and a write transaction whatever its size, so small files are
    claimed in large batches: a 100,000-file run with one worker on PostgreSQL took 43.0 s in
    batches of 100 and 38.5 s in batches of 400; with two workers, in alternating runs, batches
    of up to 100 took 51.6 s on average on PostgreSQL (four runs) and 46.5 s on SQLite (three),
    batches of up to 400 46.7 s and 42.3 s. Slow files are claimed a few at a time, so that a
    batch never outlives its lease (``GUIDES_LEASE_SECONDS``) and its worker's progress shows. A
    batch cut short (the manifest's end, a cancel) says nothing of the pace: the size is kept.
    """
    if claimed < size or processed < claimed or processed == 0:
        return size
    paced = int(processed * _BATCH_SECONDS / max(seconds, 1e-3))
    return max(1, min(largest, 2 * size, paced))


class SlotWorker:
    """One task's hold on a slot: who it is (``owner`` of its leases), until when it may work,
    and the looks it takes at the execution."""

    def __init__(self, execution_id: int, slot: int, generation: int, deadline: float) -> None:
        self.execution_id = execution_id
        self.slot = slot
        self.generation = generation
        self.deadline = deadline
        self.owner = f"{socket.gethostname()[:30]}:{os.getpid()}:{slot}:{uuid.uuid4().hex[:8]}"
        self.execution = Execution.objects.get(pk=execution_id)
        self.root = content_root()
        # The paths of the execution as relpaths, in the order of the walk.
        self.relfolders = selection.walk_order(
            content.to_relpath(path) for path in self.execution.all_paths
        )
        self._status_poll = Throttle(_CANCEL_POLL_SECONDS)
        self._sibling_check = Throttle(_SIBLING_CHECK_SECONDS)
        self.claim_cursor = 0
        # Items the next claim asks for (``next_batch_size``): where the slot's last task in
        # this process left it, when the command line runs its tasks one after another.
        self.batch_size = min(
            settings.GUIDES_BATCH_SIZE,
            _batch_sizes.pop((self.execution.processing_id, slot), _FIRST_BATCH),
        )
        self._status = self.execution.status
        # Whether this process runs the slot's next task (the command line's runners loop).
        self.continues_here = False

    # The loop ---------------------------------------------------------------------------------

    def run(self) -> str:
        # The database restarted or was busy for too long. Whatever this task had claimed and not
        # written stays leased and is reclaimed when the lease expires.
        outcome = retry(
            self._run,
            attempts=6,
            until=self.deadline,
            pause=lambda attempt: min(2 ** (attempt + 1), 10),
            message="execution %s: database error, retrying",
            execution_id=self.execution_id,
        )
        if outcome == CONTINUE and self.continues_here:
            _batch_sizes[(self.execution.processing_id, self.slot)] = self.batch_size
        return outcome

    def _run(self) -> str:
        # Each round proves this task alive (and its slot still its own) in the transaction it
        # writes anyway: the claim, the manifest chunk, or the heartbeat before it waits.
        while True:
            status = self.read_status(force=True)
            if status == ExecutionStatus.CANCELLING:
                cancel_complete(self.execution_id, force=False)
                return STOP
            if status != ExecutionStatus.IN_PROGRESS:
                return STOP
            if self.slot == 0 and self._calculation_status() != CalculationStatus.SUCCESS:
                # Processing comes next, or (when cancelled or failed) the next round sees it.
                calculation.calculate(self)
                self._refresh_statistics(force=True)
            else:
                claimed = batch.claim(self)
                if self._status != ExecutionStatus.IN_PROGRESS:
                    continue  # cancelled or failed meanwhile: the next round acts on it
                if not claimed:
                    ended = self._idle()
                    if ended is not None:
                        return ended
                    continue
                self._process(claimed)
            if time.monotonic() >= self.deadline:
                return CONTINUE

    def _process(self, claimed: list[batch.Claimed]) -> None:
        """Process a claimed batch and write its results."""
        started = time.monotonic()
        written = batch.process(self, claimed)
        if written is not None:
            self.batch_size = next_batch_size(
                self.batch_size,
                claimed=len(claimed),
                processed=len(written[0]),
                seconds=time.monotonic() - started,
                largest=settings.GUIDES_BATCH_SIZE,
            )
            self._write(*written)
        self._requeue_silent_siblings()
        self._refresh_statistics()

    def _idle(self) -> str | None:
        """Nothing to claim: STOP once the execution is finished, CONTINUE when out of time, else
        None after waiting a moment."""
        if finish_if_complete(self.execution_id):
            return STOP
        self._requeue_silent_siblings()
        if time.monotonic() >= self.deadline:
            return CONTINUE
        # Others hold the remaining items, or the calculation is still writing the manifest:
        # wait for them (a lease of a dead worker expires and is claimed here).
        self.beat()
        time.sleep(IDLE_SLEEP_SECONDS)
        return None

    def _write(self, results: list[batch.Processed], leftover: list[batch.Claimed]) -> None:
        # The database went away (restart, failover) or was locked for too long: keep the results
        # in memory and try again while the lease still holds them for us.
        retry(
            lambda: batch.write(self, results, leftover),
            attempts=5,
            until=self.deadline + settings.GUIDES_LEASE_SECONDS / 2,
            pause=lambda attempt: 1 + attempt * 2,
            message="execution %s: writing a batch failed, retrying",
            execution_id=self.execution_id,
        )

    def _requeue_silent_siblings(self) -> None:
        """Re-enqueue slots of this execution that went silent (their worker died), at most every
        few seconds: live tasks notice a dead sibling long before the scheduled watchdog runs."""
        if not self._sibling_check.due():
            return
        moment = timezone.now()
        stale_before = moment - timedelta(seconds=settings.GUIDES_STALE_SECONDS)
        requeue_silent_slots(self.execution_id, now=moment, stale_before=stale_before)

    def _refresh_statistics(self, *, force: bool = False) -> None:
        """Slot 0 keeps the planner's statistics of the growing tables current (PostgreSQL)."""
        if self.slot == 0 and _statistics.due(force=force):
            sql.refresh_statistics()

    def beat(self) -> None:
        """Prove this task alive in the caller's transaction; Superseded when the slot is no
        longer its own."""
        if not sql.beat_slot(
            execution_id=self.execution_id,
            slot=self.slot,
            generation=self.generation,
            now=timezone.now(),
        ):
            raise Superseded()

    def status_seen_at_claim(self, status: str) -> None:
        """Remember the status a claim read under its lock, as fresh as a forced read."""
        self._status = status
        self._status_poll.due(force=True)

    def read_status(self, *, force: bool = False) -> str:
        """The execution's status, read again at most every ``_CANCEL_POLL_SECONDS`` unless
        forced."""
        if self._status_poll.due(force=force):
            self._status = (
                Execution.objects.filter(pk=self.execution_id)
                .values_list("status", flat=True)
                .get()
            )
        return self._status

    def _calculation_status(self) -> str:
        return (
            Execution.objects.filter(pk=self.execution_id)
            .values_list("calculation_status", flat=True)
            .get()
        )
