"""The engine's SQL on SQLite: plain statements, and the one write lock for serialising.

A transaction here begins IMMEDIATE (see ``guides_processor/sqlite``), so it holds the
database's write lock from its first statement: claims and queue decisions are serialised by that
alone, and there are no row locks to take or skip.
"""

import json
from collections.abc import Sequence
from itertools import chain
from typing import Any

from django.db import connection
from django.db.backends.sqlite3.creation import DatabaseCreation

from ...models import Asset, ExecutionItem, ItemState
from .common import columns, marks, q, table
from .interface import Backend
from .writes import ASSET_COLUMNS, ITEM_COLUMNS, upsert_assets_sql

_ASSET_VALUES = f"VALUES ({', '.join(['%s'] * len(ASSET_COLUMNS))})"
# Rows per statement of ``insert_many`` (16 columns of a reference: 1,600 parameters, within
# SQLite's limit of 32,766).
_ROWS_PER_INSERT = 100


class SQLiteBackend(Backend):
    def shared(self) -> bool:
        name = connection.settings_dict["NAME"]
        return super().shared() and not DatabaseCreation.is_in_memory_db(name)

    def json_text(self, column: str, key: str) -> str:
        return f"json_extract({column}, '$.{key}')"

    def has_line(self, text: str, line: str) -> str:
        return f"instr(char(10) || {text} || char(10), char(10) || {line} || char(10)) > 0"

    def json_with(self, column: str, key: str, value: str) -> str:
        return f"json_set({column}, '$.{key}', {value})"

    def insert_many(
        self, cursor: Any, model: Any, names: Sequence[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """Statements of up to 100 rows each, run on SQLite's own connection (in the same
        transaction), whose ``?`` marks need no rewriting; each size of statement is prepared
        once. Inserting 200,000 references took 0.63 s one row a statement, 0.44 s so (side by
        side, SQLite 3.40); a batch's writes hold the one write lock for as long."""
        if not rows:
            return
        head = f"INSERT INTO {table(model)} ({columns(*names)}) VALUES "
        row = f"({', '.join('?' * len(names))})"
        full = head + ", ".join([row] * _ROWS_PER_INSERT)
        raw = connection.connection
        for start in range(0, len(rows), _ROWS_PER_INSERT):
            part = rows[start : start + _ROWS_PER_INSERT]
            sql = full if len(part) == _ROWS_PER_INSERT else head + ", ".join([row] * len(part))
            raw.execute(sql, list(chain.from_iterable(part)))

    def add_pending(self, cursor: Any, execution_id: int, pending: Sequence[str]) -> None:
        """One statement whatever their number: the relpaths travel as one JSON array that
        ``json_each`` unpacks, which costs a fraction of binding a row of parameters per file."""
        cursor.execute(
            f"INSERT INTO {table(ExecutionItem)} ({columns(*ITEM_COLUMNS)}) "
            "SELECT %s, value, %s, '', '', '' FROM json_each(%s)",
            [execution_id, ItemState.PENDING, json.dumps(pending)],
        )

    def upsert_assets(
        self, cursor: Any, rows: list[tuple[Any, ...]]
    ) -> tuple[dict[str, int], list[int]]:
        """One prepared statement for every row, then the ids by relpath."""
        relpaths = [row[0] for row in rows]
        cursor.executemany(upsert_assets_sql(_ASSET_VALUES), rows)
        cursor.execute(
            f"SELECT {q('relpath')}, {q('id')} FROM {table(Asset)} "
            f"WHERE {q('relpath')} IN ({marks(len(relpaths))})",
            relpaths,
        )
        ids = dict(cursor.fetchall())
        return ids, list(ids.values())  # deleting nothing costs next to nothing here
