"""The processing status of each asset under some paths (``GET /assets/status``).

A status job names paths (folders or files, normalised) and excluded folders. Its assets are the
files on disk under them together with the assets processed under them that are gone from disk
(``exists`` false), in relpath order: the disk is walked in that order (a folder ``a`` sorts as
``a/``, so its contents fall between ``a.dita`` and ``a0``) and merged with a range of the asset
relpath index, so a page after a cursor costs O(page): the sorted listing of a folder is kept
from one page to the next while the folder is unchanged, and the cursor found in it by bisection
(``_listing``). ``counts`` are the one O(job) option: a pass over every asset of the job.
An asset's status:

- ``PROCESSING``: an active execution holds it (its item is PENDING in a WAITING, IN_PROGRESS or
  CANCELLING execution; found through item_relpath_idx);
- ``PENDING``: never processed, or changed on disk since its last processing (size or mtime);
- ``SUCCESS`` or ``FAILURE``: the outcome of its last processing, the file unchanged since (or
  gone, for an asset that no longer exists).
"""

import bisect
import itertools
import operator
import os
import stat
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import reduce
from pathlib import Path
from typing import Any

from .. import content, processing
from ..models import ACTIVE_STATUSES, Asset, ExecutionItem, ItemState, below
from .assets import OnDisk, disk_state

SUCCESS = "SUCCESS"
FAILURE = "FAILURE"
PROCESSING = "PROCESSING"
PENDING = "PENDING"
STATUSES = (SUCCESS, FAILURE, PROCESSING, PENDING)

STATUS_LIMIT_DEFAULT = 100
STATUS_LIMIT_MAX = 1000
# Paths (and excluded paths) one job may name: a path that is not on disk costs a query or two
# at each read of the job's counts.
STATUS_PATHS_MAX = 10_000
# Assets read per query while the stream is merged and counted.
_CHUNK = 500
# The job's paths looked at a time (on disk, and their assets in one query).
_GROUP = 500
# On disk, size and mtime not looked at (a file never processed).
_PRESENT = OnDisk(-1, -1.0)


@dataclass(frozen=True, slots=True)
class AssetStatus:
    relpath: str
    uuid: str | None
    status: str
    exists: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "path": content.to_virtual(self.relpath),
            "uuid": self.uuid,
            "status": self.status,
            "exists": self.exists,
        }


def _name_key(entry: os.DirEntry[str]) -> tuple[str, bool] | None:
    """How a directory entry sorts among relpaths (a folder as ``name/``), and whether it is a
    folder; None for what the walk of processing passes over (hidden, links, other kinds, and
    names that are not UTF-8: no asset can have one)."""
    if entry.name.startswith(".") or not (entry.name.isascii() or content.is_utf8(entry.name)):
        return None
    try:
        # From the directory entry's type where the file system gives it: no stat per file.
        if entry.is_dir(follow_symlinks=False):
            return entry.name + "/", True
        if entry.is_file(follow_symlinks=False):
            return entry.name, False
    except OSError:
        pass
    return None


@dataclass(frozen=True, slots=True)
class _Listing:
    """A folder's entries in relpath order: ``keys`` (sort names, a folder as ``name/``) and,
    at the same index, each entry's name and whether it is a folder."""

    stamp: tuple[int, int, int]
    keys: list[str]
    entries: list[tuple[str, bool]]


# Sorted listings of the folders pages were read from, by real path, the most recently used
# last: a page after a cursor finds its place by bisection instead of listing and sorting a
# folder of (say) 100,000 files again. A listing is reused only while the folder's device, inode
# and modification time (nanoseconds) are unchanged: adding, removing or renaming an entry
# changes the folder's mtime. Folders modified in the last ``_SETTLED_NS`` are not kept, as two
# changes within one tick of the file system's clock leave the same mtime (git's racy check).
_LISTINGS: OrderedDict[str, _Listing] = OrderedDict()
_LISTINGS_MAX = 32
_LISTINGS_LOCK = threading.Lock()
_SETTLED_NS = 2_000_000_000


def _listing(real: str) -> _Listing:
    """The sorted listing of folder ``real``: from ``_LISTINGS`` when the folder is unchanged
    since, else read (raises OSError when it cannot be)."""
    info = os.stat(real)
    stamp = (info.st_dev, info.st_ino, info.st_mtime_ns)
    with _LISTINGS_LOCK:
        known = _LISTINGS.get(real)
        if known is not None and known.stamp == stamp:
            _LISTINGS.move_to_end(real)
            return known
    with os.scandir(real) as scan:
        keyed = sorted((key, entry.name) for entry in scan if (key := _name_key(entry)))
    listing = _Listing(
        stamp, [key for (key, _), _ in keyed], [(name, folder) for (_, folder), name in keyed]
    )
    if time.time_ns() - info.st_mtime_ns > _SETTLED_NS:
        with _LISTINGS_LOCK:
            _LISTINGS[real] = listing
            _LISTINGS.move_to_end(real)
            while len(_LISTINGS) > _LISTINGS_MAX:
                _LISTINGS.popitem(last=False)
    return listing


def _start(listing: _Listing, prefix: str, after: str) -> int:
    """The index of the first entry of the listing (of folder ``prefix``) that can hold a
    relpath after ``after``."""
    if not after.startswith(prefix):
        return 0
    rest = after[len(prefix) :]
    folder, slash, _ = rest.partition("/")
    if slash:
        return bisect.bisect_left(listing.keys, folder + "/")  # the folder holding the cursor
    return bisect.bisect_right(listing.keys, rest)


def _disk_files(real: str, relfolder: str, after: str, excluded: content.PathSet) -> Iterator[str]:
    """Relpaths of the regular files below ``real`` (the folder ``relfolder``), in relpath
    order, after ``after``; the folders ``excluded`` (relpaths) left out.
    Costs O(log folder) to find the cursor in a listing kept from an earlier page."""
    prefix = f"{relfolder}/" if relfolder else ""
    try:
        listing = _listing(real)
    except OSError:
        return
    for index in range(_start(listing, prefix, after), len(listing.keys)):
        sort_name = listing.keys[index]
        name, is_folder = listing.entries[index]
        path = prefix + sort_name
        if is_folder:
            if path[:-1] in excluded:
                continue
            if after and not after.startswith(path) and path < after:
                continue  # the whole folder sorts before the cursor
            inner = after if after.startswith(path) else ""
            yield from _disk_files(os.path.join(real, name), path[:-1], inner, excluded)
        elif not after or path > after:
            yield path


def _db_assets(relpath: str, after: str, chunk: int) -> Iterator[Asset]:
    """Assets below folder ``relpath``, in relpath order, after ``after``, a chunk at a time."""
    queryset = Asset.objects.filter(below(relpath))
    cursor = after
    while True:
        rows = list(
            (queryset.filter(relpath__gt=cursor) if cursor else queryset).order_by("relpath")[
                :chunk
            ]
        )
        yield from rows
        if len(rows) < chunk:
            return
        cursor = rows[-1].relpath


@dataclass(frozen=True, slots=True)
class _Found:
    relpath: str
    asset: Asset | None
    on_disk: bool


def _merged(disk: Iterator[str], db: Iterator[Asset]) -> Iterator[_Found]:
    """The union of two relpath-ordered streams, each relpath once."""
    file = next(disk, None)
    asset = next(db, None)
    while file is not None or asset is not None:
        if asset is None or (file is not None and file < asset.relpath):
            assert file is not None
            yield _Found(file, None, True)
            file = next(disk, None)
        elif file is None or asset.relpath < file:
            yield _Found(asset.relpath, asset, False)
            asset = next(db, None)
        else:
            yield _Found(file, asset, True)
            file, asset = next(disk, None), next(db, None)


def _disjoint(paths: Iterable[str]) -> list[str]:
    """Relpaths of the paths with those inside another left out, in the order of what they
    hold: sorted as folders (``a/``), so that the files of a folder ``a`` come after a file
    ``a-b.dita`` given beside it, as their relpaths do. What lies inside a path sorts right
    after it, so each is compared with the last one kept only (n log n: compared with every
    one kept, 50,000 paths took minutes)."""
    kept: list[str] = []
    for relpath in sorted(set(paths), key=lambda relpath: relpath + "/" if relpath else ""):
        if kept and (not kept[-1] or relpath.startswith(kept[-1] + "/")):
            continue
        kept.append(relpath)
    return kept


def _lstat(root: Path, relpath: str) -> os.stat_result | None:
    try:
        return os.lstat(os.path.join(root, relpath) if relpath else str(root))
    except (OSError, ValueError):
        return None


def _holding(gone: list[str]) -> set[str]:
    """Those of the folders ``gone`` (not on disk) that have assets below them: one query for
    all when none has (a job of thousands of paths that name nothing), else one for each."""
    if not gone or not Asset.objects.filter(reduce(operator.or_, map(below, gone))).exists():
        return set()
    return {relpath for relpath in gone if Asset.objects.filter(below(relpath)).exists()}


def first_unknown_path(*, root: Path, paths: Sequence[str]) -> tuple[int, str] | None:
    """The first of ``paths`` (normalised virtual paths) that names nothing, as (its index, why
    in a sentence, such as "/content/dam/x does not exist."), or None when each names something:
    a folder or a regular file on disk, reached without a symbolic link as processing reaches
    it (``content.resolve_target``), or a path at or below which an asset was processed, live
    or deleted (a path gone from disk, whose assets a job lists with ``exists`` false).

    A job or a report over a path that names nothing counts nothing: a mistyped path read as
    "all processed" and "no broken links". Costs: an lstat of each part of each path; for the
    paths not on disk, one query per ``_GROUP`` of them, and one more for each of those that
    holds assets (``_holding``).
    """
    for start in range(0, len(paths), _GROUP):
        gone: dict[str, tuple[int, str]] = {}
        for index, path in enumerate(paths[start : start + _GROUP], start):
            try:
                content.resolve_target(root, path)
            except content.ContentPathError as exc:
                gone.setdefault(content.to_relpath(path), (index, exc.message))
        if not gone:
            continue
        # A file processed once (``relpath`` itself), then a folder (assets below it).
        rest = set(gone) - set(
            Asset.objects.filter(relpath__in=list(gone)).values_list("relpath", flat=True)
        )
        if "" in rest and Asset.objects.exists():
            rest.discard("")  # the root (``below`` is no condition for it: every asset)
        rest -= _holding(sorted(relpath for relpath in rest if relpath))
        if rest:
            return min(gone[relpath] for relpath in rest)
    return None


def _found(
    root: Path, paths: list[str], excluded: list[str], after: str, chunk: int = _CHUNK
) -> Iterator[_Found]:
    """What the job's paths hold after ``after``, in relpath order: the files on disk merged
    with the assets. The paths are looked at ``_GROUP`` at a time, with one query for the
    assets of the files among them: with a query or two for each path, reading a job of 10,000
    paths that named nothing took 21 s (its counts included), and 1.3 s so."""
    # The root named as excluded leaves nothing out (its relpath, "", holds no "/").
    skip = content.PathSet(relpath for path in excluded if (relpath := content.to_relpath(path)))
    relpaths = [
        relpath
        for relpath in _disjoint(content.to_relpath(path) for path in paths)
        # Everything at or below a path that sorts before the cursor is passed.
        if not (after and relpath and relpath + "0" <= after)
    ]
    for start in range(0, len(relpaths), _GROUP):
        group = relpaths[start : start + _GROUP]
        infos = {relpath: _lstat(root, relpath) for relpath in group}
        folders = {r for r, info in infos.items() if info and stat.S_ISDIR(info.st_mode)}
        gone = [relpath for relpath, info in infos.items() if info is None]
        # A file, or a path gone from disk that was one.
        at = {
            asset.relpath: asset
            for asset in Asset.objects.filter(
                relpath__in=[relpath for relpath in group if relpath not in folders]
            )
            if not after or asset.relpath > after
        }
        # A path gone from disk that was a folder.
        holding = _holding(gone)
        for relpath in group:
            info = infos[relpath]
            if relpath in folders:
                real = os.path.join(root, relpath) if relpath else str(root)
                disk: Iterator[str] = _disk_files(real, relpath, after, skip)
            elif info is not None and stat.S_ISREG(info.st_mode) and (not after or relpath > after):
                disk = iter([relpath])
            else:
                disk = iter(())
            assets: Iterator[Asset] = iter([at[relpath]] if relpath in at else [])
            if relpath in folders or relpath in holding:
                assets = itertools.chain(assets, _db_assets(relpath, after, chunk))
            for found in _merged(disk, assets):
                if not (skip and skip.above(found.relpath) is not None):
                    yield found


def _judged(root: Path, chunk: list[_Found]) -> list[AssetStatus]:
    missing = [found.relpath for found in chunk if found.asset is None]
    assets: dict[str, Asset] = {
        found.relpath: found.asset for found in chunk if found.asset is not None
    }
    for asset in Asset.objects.filter(relpath__in=missing):
        assets[asset.relpath] = asset
    # Through item_relpath_idx (relpath, execution): O(chunk), however long the manifests.
    held = set(
        ExecutionItem.objects.filter(
            relpath__in=[found.relpath for found in chunk],
            state=ItemState.PENDING,
            execution__status__in=ACTIVE_STATUSES,
        ).values_list("relpath", flat=True)
    )
    judged = []
    for found in chunk:
        known = assets.get(found.relpath)
        # A file never processed is PENDING whatever its size: only processed ones are stat'ed.
        disk = (
            disk_state(root, found.relpath)
            if found.on_disk and known is not None
            else (_PRESENT if found.on_disk else None)
        )
        judged.append(
            AssetStatus(
                found.relpath,
                str(known.uuid) if known is not None else None,
                PROCESSING if found.relpath in held else _status(known, disk),
                disk is not None,
            )
        )
    return judged


def _status(asset: Asset | None, disk: OnDisk | None) -> str:
    if asset is None:
        return PENDING
    if disk is not None and (
        asset.deleted_at is not None
        or disk.size != asset.size
        or abs(disk.mtime - asset.mtime) > 1e-6
    ):
        return PENDING
    return SUCCESS if asset.status == processing.SUCCESS else FAILURE


def _chunks(found: Iterator[_Found], size: int) -> Iterator[list[_Found]]:
    chunk: list[_Found] = []
    for item in found:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass(frozen=True)
class AssetStatusPage:
    """A page of a status job: ``assets`` after ``after`` (and ``offset`` more skipped);
    ``next_after`` is the cursor of the next page (None on the last); ``counts`` by status over
    every asset of the job, when asked for."""

    assets: list[AssetStatus]
    offset: int
    limit: int
    next_after: str | None
    counts: dict[str, int] | None

    @property
    def has_more(self) -> bool:
        return self.next_after is not None


def asset_status_page(
    *,
    root: Path,
    paths: list[str],
    excluded_paths: list[str],
    after: str = "",
    offset: int = 0,
    limit: int = STATUS_LIMIT_DEFAULT,
    with_counts: bool = True,
) -> AssetStatusPage:
    """A page of the job's assets (see the module). Costs: O(offset + page) after ``after``,
    and with ``with_counts`` one more pass over every asset of the job, a chunk at a time."""
    limit = min(limit, STATUS_LIMIT_MAX)
    # Assets read per query: about a page's worth, not a counting chunk.
    stream = _found(root, paths, excluded_paths, after, min(_CHUNK, offset + limit + 1))
    for _ in range(offset):
        if next(stream, None) is None:
            break
    window: list[_Found] = []
    for found in stream:
        window.append(found)
        if len(window) > limit:
            break
    more = len(window) > limit
    page = _judged(root, window[:limit]) if window else []
    counts = None
    if with_counts:
        counts = dict.fromkeys(STATUSES, 0)
        for chunk in _chunks(_found(root, paths, excluded_paths, ""), _CHUNK):
            for judged in _judged(root, chunk):
                counts[judged.status] += 1
    return AssetStatusPage(page, offset, limit, page[-1].relpath if more else None, counts)
