"""The key pass of a finishing execution, in SQL both databases run alike.

Key references are resolved once an execution's items are all final: a key is defined when any
map's key definition names it, so the verdict is only known when every map has been processed.
"""

from django.db import connection

from ...models import Asset, ExecutionItem, ItemState, KeyDefinition, Reference
from .common import columns, q, table


def _in_execution_sql() -> str:
    return (
        f"SELECT {columns('asset_id')} FROM {table(ExecutionItem)} "
        f"WHERE {columns('execution_id')} = %s AND {columns('state')} = %s "
        f"AND {columns('asset_id')} IS NOT NULL"
    )


def resolve_keys(execution_id: int) -> list[tuple[str, int, str]]:
    """Mark key references of this execution's assets broken where no map defines the key.

    Returns (key, references, first asset) for every undefined key, sorted by key.
    """
    ref, keydef, asset = table(Reference), table(KeyDefinition), table(Asset)
    key = q("key")
    with connection.cursor() as cursor:
        undefined = f"NOT EXISTS (SELECT 1 FROM {keydef} k WHERE k.{key} = {ref}.{key})"
        broken = columns("broken")
        # Only rows whose verdict changes are written: most keys are defined, as they were.
        cursor.execute(
            f"UPDATE {ref} SET {broken} = {undefined} "
            f"WHERE {ref}.{key} <> '' AND {ref}.{broken} <> {undefined} "
            f"AND {ref}.{columns('asset_id')} IN ({_in_execution_sql()})",
            [execution_id, ItemState.DONE],
        )
        cursor.execute(
            f"SELECT r.{key}, COUNT(*), MIN(a.{columns('relpath')}) FROM {ref} r "
            f"JOIN {asset} a ON a.{columns('id')} = r.{columns('asset_id')} "
            f"WHERE r.{columns('broken')} AND r.{key} <> '' "
            f"AND r.{columns('asset_id')} IN ({_in_execution_sql()}) "
            f"GROUP BY r.{key} ORDER BY r.{key}",
            [execution_id, ItemState.DONE],
        )
        return [(name, count, first) for name, count, first in cursor.fetchall()]


def broken_reference_count(execution_id: int) -> int:
    ref = table(Reference)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM {ref} WHERE {columns('broken')} "
            f"AND {columns('asset_id')} IN ({_in_execution_sql()})",
            [execution_id, ItemState.DONE],
        )
        return int(cursor.fetchone()[0])
