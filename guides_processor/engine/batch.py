"""One batch: claim PENDING items under a lease, process them outside any transaction, write what
they produced for the items this task still owns.

A claim leases items to the task's ``owner`` until ``GUIDES_LEASE_SECONDS`` from now; a worker that
dies leaves its lease to expire, and another claims the items again. The write checks the lease
item by item, so a batch taken over by another worker is that worker's to write, and every item
becomes final exactly once.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import content, processing
from ..executions.lifecycle import execution_fail
from ..models import Asset, ExecutionStatus
from . import sql
from .loglines import log_lines

if TYPE_CHECKING:
    from .slot import SlotWorker


@dataclass
class Claimed:
    item_id: int
    relpath: str


Processed = tuple[Claimed, processing.AssetResult]


def claim(worker: "SlotWorker") -> list[Claimed]:
    """Lease the next batch for ``worker``, proving it alive in the same transaction."""
    now = timezone.now()
    with transaction.atomic():
        sql.commit_without_waiting()
        worker.beat()
        # Read under a shared lock: a cancel's completion waits for this claim, and a claim
        # after it sees the new status and takes nothing.
        status = sql.execution_status_for_claim(execution_id=worker.execution_id)
        worker.status_seen_at_claim(status)
        if status != ExecutionStatus.IN_PROGRESS:
            return []
        rows = sql.claim_batch(
            execution_id=worker.execution_id,
            owner=worker.owner,
            now=now,
            expires=now + timedelta(seconds=settings.GUIDES_LEASE_SECONDS),
            limit=worker.batch_size,
            after=worker.claim_cursor,
        )
    if rows:
        worker.claim_cursor = rows[-1][0]
    return [Claimed(item_id, relpath) for item_id, relpath in rows]


def process(
    worker: "SlotWorker", batch: list[Claimed]
) -> tuple[list[Processed], list[Claimed]] | None:
    """Process the claimed items until done or the execution stops running.

    Returns what to write: the results, and the items left unprocessed (to give back). None when
    the execution's folder went away and it was failed (the batch is given back).
    """
    execution = worker.execution
    previous: dict[str, processing.Fingerprint] = {}
    if execution.filter_processed_assets:
        for relpath, size, mtime, checksum in Asset.objects.filter(
            relpath__in=[item.relpath for item in batch], success_checksum__gt=""
        ).values_list("relpath", "success_size", "success_mtime", "success_checksum"):
            if size is not None and mtime is not None:
                previous[relpath] = processing.Fingerprint(size, mtime, checksum)
    results: list[Processed] = []
    max_bytes = settings.GUIDES_MAX_XML_BYTES
    # The batch's reference targets and the folders on their way, each looked at once a batch.
    checks = processing.TargetChecks()
    stopped = False
    for item in batch:
        if worker.read_status() != ExecutionStatus.IN_PROGRESS:
            stopped = True
            break
        result = processing.process(
            worker.root,
            item.relpath,
            previous=previous.get(item.relpath),
            max_xml_bytes=max_bytes,
            max_references=settings.GUIDES_MAX_REFERENCES_PER_ASSET,
            checks=checks,
        )
        results.append((item, result))
    vanished = [item.relpath for item, r in results if r.error == processing.NOT_FOUND]
    gone = _gone_root(worker, vanished) if vanished else None
    if gone is not None:
        release(worker, batch)
        execution_fail(
            execution_id=worker.execution_id,
            reason=f"the folder {content.to_virtual(gone)} no longer exists under the content "
            "root. Put it back, then resume: the execution continues with the assets left.",
            folder_gone=True,
        )
        return None
    done_ids = {item.item_id for item, _ in results}
    leftover = [item for item in batch if item.item_id not in done_ids] if stopped else []
    return results, leftover


def _gone_root(worker: "SlotWorker", missing: list[str]) -> str | None:
    """The path (a relpath) of the execution holding one of the ``missing`` files, when that
    folder itself is gone; else None.

    With several paths, one of them gone fails the execution even while the others are there,
    as one path gone does: the run could not do what was asked, and resume, once the folder is
    back, finishes it (the missing files are not blamed meanwhile). A file missing from a folder
    that is still there is that asset's failure.
    """
    for relfolder in worker.relfolders:
        prefix = f"{relfolder}/" if relfolder else ""
        # A path that is one file is not a folder either: its file missing fails the run.
        if not (worker.root / relfolder).is_dir() and any(
            relpath == relfolder or relpath.startswith(prefix) for relpath in missing
        ):
            return relfolder
    return None


def release(worker: "SlotWorker", items: list[Claimed]) -> None:
    sql.release(ids=[item.item_id for item in items], owner=worker.owner)


def write(worker: "SlotWorker", results: list[Processed], leftover: list[Claimed]) -> None:
    """Write one batch's outcome in one transaction: only for items this task still owns.

    Its rows and log lines are made first, outside the transaction (see
    ``Backend.prepare_results``): on SQLite, two workers of a 100,000-file run each waited 2.2 s
    for the write lock while the other made its rows under it.
    """
    prepared = Prepared(
        sql.prepare_results([(item.item_id, result) for item, result in results], timezone.now())
    )
    with transaction.atomic():
        sql.commit_without_waiting()
        worker.beat()
        write_results(worker.execution_id, worker.owner, prepared)
        if leftover:
            release(worker, leftover)


class Prepared:
    """A batch's rows (``sql.PreparedResult``) and the log line of each item, made before its
    write transaction."""

    def __init__(self, rows: list[sql.PreparedResult]) -> None:
        self.rows = rows
        self.lines = {row.item_id: log_lines(row.result) for row in rows}


def write_results(execution_id: int, owner: str, prepared: Prepared) -> None:
    """The batch transaction: assets, references, items, log lines, counters.

    Only items still leased by ``owner`` are written: a batch whose lease expired and was taken
    over by another worker is that worker's to write, so every item is final exactly once.
    """
    if not prepared.rows:
        return
    now = timezone.now()
    owned = sql.owned_items(ids=[row.item_id for row in prepared.rows], owner=owner)
    mine = [row for row in prepared.rows if row.item_id in owned]
    if not mine:
        return
    sql.write_results(results=mine, now=now)
    counts = {processing.SUCCESS: 0, processing.FAILURE: 0, processing.SKIPPED: 0}
    lines: list[tuple[str, str]] = []
    broken = 0
    for row in mine:
        result = row.result
        counts[result.status] += 1
        lines.extend(prepared.lines[row.item_id])
        if result.status == processing.SUCCESS:
            broken += result.broken_count
    sql.append_log(
        execution_id=execution_id,
        lines=lines,
        now=now,
        counters={
            "processed_count": counts[processing.SUCCESS],
            "failed_count": counts[processing.FAILURE],
            "skipped_count": counts[processing.SKIPPED],
            "broken_reference_count": broken,
        },
    )
