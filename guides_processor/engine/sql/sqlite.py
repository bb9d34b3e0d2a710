"""The engine's SQL on SQLite: plain statements, and the one write lock for serialising.

A transaction here begins IMMEDIATE (see ``guides_processor/sqlite``), so it holds the
database's write lock from its first statement: claims and queue decisions are serialised by that
alone, and there are no row locks to take or skip.
"""

import json
from collections.abc import Sequence
from typing import Any

from ...models import Asset, ExecutionItem, ItemState
from .common import (
    ASSET_COLUMNS,
    ITEM_COLUMNS,
    Backend,
    columns,
    marks,
    q,
    table,
    upsert_assets_sql,
)

_ASSET_VALUES = f"VALUES ({', '.join(['%s'] * len(ASSET_COLUMNS))})"


class SQLiteBackend(Backend):
    def json_text(self, column: str, key: str) -> str:
        return f"json_extract({column}, '$.{key}')"

    def json_with(self, column: str, key: str, value: str) -> str:
        return f"json_set({column}, '$.{key}', {value})"

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
