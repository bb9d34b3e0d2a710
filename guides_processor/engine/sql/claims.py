"""Claims: an execution's pending items leased to one slot's task, a batch at a time, and given
back; and the slot's heartbeat. A claim runs in the caller's transaction (``engine/batch.py``):
on SQLite the write lock taken at BEGIN IMMEDIATE serialises claims, on PostgreSQL rows another
transaction is claiming are skipped (``skip_locked``), not waited for.
"""

from collections.abc import Iterable
from datetime import datetime

from django.db import connection

from ...models import Execution, ExecutionItem, ExecutionSlot, ItemState
from .common import Hooks, marks, q, stamp, table


class Claims(Hooks):
    def execution_status_for_claim(self, *, execution_id: int) -> str:
        """The execution's status, read under a shared row lock where supported (SQLite's write
        lock already serialises the claim): a status change waits for the claim's commit, and a
        claim after it reads the new status."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {q('status')} FROM {table(Execution)} WHERE {q('id')} = %s"
                f"{self.share_row}",
                [execution_id],
            )
            return str(cursor.fetchone()[0])

    def claim_batch(
        self,
        *,
        execution_id: int,
        owner: str,
        now: datetime,
        expires: datetime,
        limit: int,
        after: int = 0,
    ) -> list[tuple[int, str]]:
        """Lease up to ``limit`` claimable items (pending, unleased or lease expired), in id order.

        ``after`` is the last id this worker claimed: the search starts past it, so that it does
        not wade through the index entries of every item finished before (on PostgreSQL each
        finished item leaves dead ones behind until vacuum). When nothing is claimable past it,
        the search starts again from the beginning, where expired leases of dead workers are.

        On PostgreSQL rows another transaction is claiming are skipped, not waited for; on SQLite
        the write lock taken at BEGIN IMMEDIATE serialises claims.
        """
        rows = self._claim(execution_id, owner, now, expires, limit, after)
        if not rows and after:
            rows = self._claim(execution_id, owner, now, expires, limit, 0)
        return rows

    def _claim(
        self,
        execution_id: int,
        owner: str,
        now: datetime,
        expires: datetime,
        limit: int,
        after: int,
    ) -> list[tuple[int, str]]:
        item = table(ExecutionItem)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {item} SET {q('lease_owner')} = %s, {q('lease_expires_at')} = %s "
                f"WHERE {q('id')} IN (SELECT {q('id')} FROM {item} "
                f"WHERE {q('execution_id')} = %s AND {q('state')} = %s AND {q('id')} > %s "
                f"AND ({q('lease_expires_at')} IS NULL OR {q('lease_expires_at')} < %s) "
                f"ORDER BY {q('id')} LIMIT %s{self.skip_locked}) "
                f"RETURNING {q('id')}, {q('relpath')}",
                [owner, stamp(expires), execution_id, ItemState.PENDING, after, stamp(now), limit],
            )
            return sorted(cursor.fetchall())

    def owned_items(self, *, ids: Iterable[int], owner: str) -> set[int]:
        """Of these items, the ones still pending under this owner's lease (locked on
        PostgreSQL)."""
        ids = list(ids)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {q('id')} FROM {table(ExecutionItem)} "
                f"WHERE {q('id')} IN ({marks(len(ids))}) "
                f"AND {q('lease_owner')} = %s AND {q('state')} = %s{self.lock_rows}",
                [*ids, owner, ItemState.PENDING],
            )
            return {row[0] for row in cursor.fetchall()}

    def release(self, *, ids: Iterable[int], owner: str) -> None:
        """Give back leased items that were not processed (a cancel arrived)."""
        ids = list(ids)
        if not ids:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table(ExecutionItem)} "
                f"SET {q('lease_owner')} = '', {q('lease_expires_at')} = NULL "
                f"WHERE {q('id')} IN ({marks(len(ids))}) "
                f"AND {q('lease_owner')} = %s AND {q('state')} = %s",
                [*ids, owner, ItemState.PENDING],
            )

    def beat_slot(self, *, execution_id: int, slot: int, generation: int, now: datetime) -> bool:
        """Record that this slot's task is alive; False when the slot has a newer generation."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table(ExecutionSlot)} SET {q('heartbeat_at')} = %s "
                f"WHERE {q('execution_id')} = %s AND {q('number')} = %s "
                f"AND {q('generation')} = %s",
                [stamp(now), execution_id, slot, generation],
            )
            updated: int = cursor.rowcount
            return updated == 1
