"""The engine's SQL on PostgreSQL: row locks skipped by claims, COPY, an advisory queue lock,
asynchronous commits of the engine's own work, and planner statistics kept current."""

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction

from ...models import Asset, ExecutionItem, ItemState
from .common import columns, q, table
from .interface import Backend
from .writes import ASSET_COLUMNS, ITEM_COLUMNS, upsert_assets_sql

# pg_advisory_xact_lock key that serialises queue decisions across hosts ("GAPQ").
_QUEUE_LOCK_KEY = 0x47415051

# Tables that grow with every batch (and Used in, with every finish), and how much they may
# change before their planner statistics are refreshed (see refresh_statistics).
_ANALYZED = ("executionitem", "asset", "reference", "logline", "usedin")
_ANALYZE_AFTER_ROWS = 2000

_STAGE = "guides_asset_stage"


class PostgreSQLBackend(Backend):
    skip_locked = " FOR UPDATE SKIP LOCKED"
    lock_rows = " FOR UPDATE"
    share_row = " FOR SHARE"

    def lock_queue(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_QUEUE_LOCK_KEY])

    def commit_without_waiting(self) -> None:
        """The commit returns before its WAL reaches the disk (see ``Backend``)."""
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")

    def plan_without_jit(self) -> None:
        """``SET LOCAL jit = off`` (see ``Backend``). Statements of the finish that PostgreSQL
        estimates costly were compiled before they ran: the counting query of an unchanged
        rerun's finish spent 160 ms of its 294 ms compiling (EXPLAIN ANALYZE). Without JIT, that
        finish's look for vanished assets took 0.06 to 0.09 s instead of 0.33 to 0.44 s over
        100,000 files (alternating runs); a first finish's difference was lost in the machine's
        noise. Per transaction, not per connection: a connection option would be refused by
        PgBouncer and its like."""
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One transaction without JIT compilation (see ``plan_without_jit``)."""
        with transaction.atomic():
            self.plan_without_jit()
            yield

    def pages(self, sql: str, params: Sequence[Any], size: int) -> Iterator[list[tuple[Any, ...]]]:
        """A server-side cursor in a transaction, its values sent in binary (see ``Backend``).
        Django's own (``chunked_cursor``), outside a transaction, is declared WITH HOLD, which
        has the server copy the whole result when the statement ends; and numbers parsed from
        text cost the client more. 100,000 fingerprints (``unchanged.fingerprint_rows``): 0.17 s
        that way, 0.145 s in a transaction, 0.12 s in binary too (best of five each)."""
        connection.ensure_connection()
        raw = connection.connection
        assert raw is not None
        with transaction.atomic(), raw.cursor("guides_pages", binary=True) as cursor:
            cursor.execute(sql, params)
            while rows := cursor.fetchmany(size):
                yield rows

    def refresh_statistics(self) -> list[str]:
        """ANALYZE the engine's tables whose statistics are missing or stale.

        The batch statements look rows up by their indexes, which the planner uses only once it
        knows how many distinct values a column holds; a first run over a large repository fills
        tables faster than autovacuum (if it runs at all) analyses them, and without statistics a
        ``DELETE ... WHERE asset_id IN (...)`` scans the whole table.
        """
        names = [f"guides_processor_{name}" for name in _ANALYZED]
        analysed = []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, n_live_tup, n_mod_since_analyze, "
                "last_analyze IS NULL AND last_autoanalyze IS NULL "
                "FROM pg_stat_user_tables WHERE relname = ANY(%s)",
                [names],
            )
            for name, live, modified, never in cursor.fetchall():
                # Analysed when it has about doubled since: a handful of times over a large run.
                if modified > max(_ANALYZE_AFTER_ROWS, live // 2) or (never and modified):
                    cursor.execute(f"ANALYZE {q(name)}")
                    analysed.append(name)
        return analysed

    def new_uuids(self, count: int) -> list[Any]:
        return [uuid.UUID(text) for text in super().new_uuids(count)]

    def json_text(self, column: str, key: str) -> str:
        return f"{column} ->> '{key}'"

    def has_line(self, text: str, line: str) -> str:
        return f"strpos(chr(10) || {text} || chr(10), chr(10) || {line} || chr(10)) > 0"

    def json_with(self, column: str, key: str, value: str) -> str:
        return f"jsonb_set({column}, '{{{key}}}', to_jsonb({value}::text))"

    def insert_many(
        self, cursor: Any, model: Any, names: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """COPY: nothing is parsed per row."""
        if not rows:
            return
        with cursor.cursor.copy(f"COPY {table(model)} ({columns(*names)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def stage(self, cursor: Any, name: str, shape: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """COPY into a temporary table emptied at commit (see ``Backend``), then ANALYZE it.

        The link pass fills a stage once per page, in one transaction. Unanalysed, the planner
        counted the dead rows of the earlier pages as live and hash-joined the whole reference
        table for every page. A 100,000-file first finish did so 13 times, over 636,557
        references. Measured on copies of one database, two runs each: the finish took 12.4 to
        13.5 s before and 11.0 s after; the verdict updates 1.82 s and 1.31 s; the key texts'
        update 1.90 s and 1.13 s. Only the link pass stages rows; each ANALYZE takes a few
        milliseconds.
        """
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {name} ON COMMIT DELETE ROWS "
            f"AS {shape} WITH NO DATA"
        )
        # Empty already, unless a caller's transaction is open.
        cursor.execute(f"DELETE FROM {name}")
        with cursor.cursor.copy(f"COPY {name} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"ANALYZE {name}")

    def add_pending(self, cursor: Any, execution_id: int, pending: Sequence[str]) -> None:
        rows = [(execution_id, relpath, ItemState.PENDING, "", "", "") for relpath in pending]
        self.insert_many(cursor, ExecutionItem, ITEM_COLUMNS, rows)

    def upsert_assets(
        self, cursor: Any, rows: list[tuple[Any, ...]]
    ) -> tuple[dict[str, int], list[int]]:
        """The rows are copied into a temporary table, emptied at commit, and upserted from it in
        one statement (a statement carrying the rows as parameters would be parsed anew each
        time, which costs more than the upsert itself)."""
        asset = table(Asset)
        names = columns(*ASSET_COLUMNS)
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGE} ON COMMIT DELETE ROWS "
            f"AS SELECT {names} FROM {asset} WITH NO DATA"
        )
        # Empty already, unless a caller's transaction is open.
        cursor.execute(f"DELETE FROM {_STAGE}")
        with cursor.cursor.copy(f"COPY {_STAGE} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"SELECT a.{q('id')} FROM {asset} a "
            f"JOIN {_STAGE} s ON a.{q('relpath')} = s.{q('relpath')}"
        )
        existing = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            upsert_assets_sql(f"SELECT {names} FROM {_STAGE}")
            + f" RETURNING {q('relpath')}, {q('id')}"
        )
        return dict(cursor.fetchall()), existing
