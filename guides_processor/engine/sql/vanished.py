"""Assets gone from disk, marked deleted when an execution over their folder finishes.

Run first of the link pass (``keys``): a reference to a deleted asset is broken, and a deleted
asset is left out of key spaces, reports and Used in. Processing the file again (or meeting it
in a later execution's manifest) brings it back.
"""

import os
import stat
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from ... import processing
from ...content import PathSet
from ...models import Asset, ExecutionItem, ItemState, below
from .common import marks, pages_by_id, q, stamp, table

# Rows updated per statement.
_CHUNK = 500
# Candidate assets read at a time.
_PAGE = 20_000


def mark_vanished(
    *,
    execution_id: int,
    relfolder: str,
    excluded: Sequence[str],
    filtered: bool,
    root: Path,
    now: datetime,
) -> tuple[list[str], list[str]]:
    """Mark deleted the live assets under ``relfolder`` that are gone from disk, and live again
    the deleted ones this execution met. Returns the relpaths (deleted, revived).

    The manifest of an execution lists every file under its folder but the excluded ones, so an
    asset not in it is gone; when the execution was ``filtered`` (file types or a time window:
    files left out on purpose are not in the manifest) each such asset is looked at on disk.
    """
    skip = PathSet(folder for folder in excluded if folder)
    # Only the assets whose state may change are read, a page at a time (the manifest and the
    # assets read into sets cost a worker 40 MB at 100,000 files).
    candidates = _candidates(execution_id, relfolder)
    deleted: list[str] = []
    revived: list[str] = []
    base = os.path.join(root, "")  # strings, not Path objects: one of these per asset
    for page in pages_by_id(candidates.values_list("id", "relpath", "deleted_at"), _PAGE):
        live: list[int] = []
        revive: list[int] = []
        on_disk = _OnDisk(base, [row[1] for row in page]) if filtered else None
        for asset_id, relpath, deleted_at in page:
            if deleted_at is not None:
                revive.append(asset_id)
                revived.append(relpath)
            elif skip.above(relpath) is None:
                if on_disk is not None and on_disk.is_file(relpath):
                    continue
                live.append(asset_id)
                deleted.append(relpath)
        _set_deleted_at(live, stamp(now))
        _set_deleted_at(revive, None)
    return deleted, revived


def mark_gone_meanwhile(*, execution_id: int, root: Path, now: datetime) -> list[str]:
    """Mark deleted the live assets of the execution's manifest that are no longer on disk, when
    one of its files went while it ran (an item failed ``processing.NOT_FOUND``). Returns their
    relpaths.

    ``mark_vanished`` takes the manifest as on disk, as the walk found it. A folder below the
    execution's paths moved or deleted mid-run breaks that: the files it had yet to process
    failed as not found, and those it had processed went too (a folder of 20,000 files moved a
    second in: 9,716 failed, and the assets of both kinds stayed live, in reports, on no disk).
    Each file of the manifest is then looked at on disk, ``_OnDisk`` a page at a time; a run
    whose files all stayed pays one query.
    """
    items = ExecutionItem.objects.filter(execution_id=execution_id)
    if not items.filter(state=ItemState.FAILED, error=processing.NOT_FOUND).exists():
        return []
    base = os.path.join(root, "")
    gone: list[str] = []
    for page in pages_by_id(items.values_list("id", "relpath"), _PAGE):
        on_disk = _OnDisk(base, [relpath for _, relpath in page])
        missing = [relpath for _, relpath in page if not on_disk.is_file(relpath)]
        for start in range(0, len(missing), _CHUNK):
            rows = list(
                Asset.objects.filter(
                    relpath__in=missing[start : start + _CHUNK], deleted_at__isnull=True
                ).values_list("id", "relpath")
            )
            _set_deleted_at([asset_id for asset_id, _ in rows], stamp(now))
            gone += [relpath for _, relpath in rows]
    return gone


def _candidates(execution_id: int, relfolder: str) -> "QuerySet[Asset]":
    """The assets below ``relfolder`` whose state an execution's finish may change: the live ones
    its manifest lacks, and the deleted ones it holds."""
    listed = Exists(
        ExecutionItem.objects.filter(execution_id=execution_id, relpath=OuterRef("relpath"))
    )
    return (
        Asset.objects.filter(below(relfolder))
        .annotate(listed=listed)
        .filter(Q(deleted_at__isnull=True, listed=False) | Q(deleted_at__isnull=False, listed=True))
    )


def _set_deleted_at(ids: Sequence[int], value: Any) -> None:
    asset = table(Asset)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            cursor.execute(
                f"UPDATE {asset} SET {q('deleted_at')} = %s "
                f"WHERE {q('id')} IN ({marks(len(chunk))})",
                [value, *chunk],
            )


class _OnDisk:
    """Whether the candidates of a page are regular files on disk: a folder holding many of them
    is listed once, the others are looked at one by one. The 100,000 files of the generated
    repository (folders of a few hundred) took 0.61 s as one ``lstat`` each, 0.44 s so."""

    # Candidates in one folder from which listing it is cheaper than a stat of each.
    _LISTED_FROM = 8

    def __init__(self, base: str, relpaths: Sequence[str]) -> None:
        self._base = base
        per_folder = Counter(relpath.rpartition("/")[0] for relpath in relpaths)
        self._listed = {name for name, count in per_folder.items() if count >= self._LISTED_FROM}
        self._files: dict[str, frozenset[str]] = {}

    def is_file(self, relpath: str) -> bool:
        folder, _, name = relpath.rpartition("/")
        if folder not in self._listed:
            return _is_file(self._base + relpath)
        files = self._files.get(folder)
        if files is None:
            files = self._files[folder] = _regular_files(self._base + folder)
        return name in files


def _regular_files(folder: str) -> frozenset[str]:
    try:
        with os.scandir(folder) as entries:
            return frozenset(e.name for e in entries if e.is_file(follow_symlinks=False))
    except (OSError, ValueError):
        return frozenset()


def _is_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except (OSError, ValueError):
        return False
