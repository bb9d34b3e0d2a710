"""The live repository: each asset as last processed, beside the file on disk.

``Asset`` holds the newest result of each file; the disk says whether the file is still there and
whether it changed since. Every query of the Assets pages is here, so that a change of the models
(a deletion mark, a resolved target of key references) is adapted in one place.

Statuses as the console shows them:

- ``PROCESSED``: the last processing succeeded and the file is unchanged since (size and mtime);
- ``FAILED``: the last processing failed (``Asset.error`` says why) and the file is unchanged;
- ``PENDING``: never processed, or changed on disk since its last processing;
- ``DELETED``: processed once, no longer on disk (kept for history; ``Asset.deleted_at`` is set
  by the next run of its folder). Its references are history: they count nowhere.
"""

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db.models import Count, Exists, OuterRef, QuerySet

from .. import content, processing
from ..models import Asset, Reference, below

PROCESSED = "PROCESSED"
FAILED = "FAILED"
PENDING = "PENDING"
DELETED = "DELETED"
STATUS_LABELS = {
    PROCESSED: "Processed",
    FAILED: "Failed",
    PENDING: "Pending",
    DELETED: "Deleted",
}

ASSETS_PAGE_SIZE = 50
# Rows read per query while a filtered listing fills its page: whole rows, and the few columns
# a status filter's scan reads (``_matching_below``).
_SCAN_CHUNK = 200
_SCAN_ROWS = 2000


@dataclass(frozen=True, slots=True)
class OnDisk:
    """What the disk says of a file now."""

    size: int
    mtime: float


def disk_state(root: Path, relpath: str) -> OnDisk | None:
    """The file's size and mtime, or None when it is not a regular file there (links are not
    followed, as the walk does not follow them)."""
    try:
        info = os.lstat(os.path.join(root, relpath))
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return OnDisk(info.st_size, info.st_mtime)


def status_of(asset: Asset | None, disk: OnDisk | None) -> str:
    """The console's status of a file from its last result and the disk (see the module)."""
    if asset is None:
        return PENDING if disk is not None else DELETED
    return _status(asset.deleted_at, asset.size, asset.mtime, asset.status, disk)


# What ``status_of`` reads of an asset, as a filtered listing scans them (``_matching_below``).
_STATUS_COLUMNS = ("pk", "relpath", "deleted_at", "size", "mtime", "status")


def _status(
    deleted_at: datetime | None, size: int, mtime: float, result: str, disk: OnDisk | None
) -> str:
    if disk is None:
        return DELETED
    if deleted_at is not None:
        # Marked by a run of its folder that no longer found it; back on disk since.
        return PENDING
    if disk.size != size or abs(disk.mtime - mtime) > 1e-6:
        return PENDING
    return PROCESSED if result == processing.SUCCESS else FAILED


def type_label(asset: Asset | None) -> str:
    """The label of the asset's type as the console shows it (empty when never processed)."""
    if asset is None:
        return ""
    return processing.ASSET_TYPE_LABELS.get(asset.asset_type, asset.asset_type)


@dataclass(frozen=True)
class Entry:
    """A row of the Assets table: a folder, or a file with its last result (if any)."""

    name: str
    relpath: str
    is_folder: bool
    status: str = ""
    asset: Asset | None = None
    disk: OnDisk | None = None
    broken_count: int = 0

    @property
    def path(self) -> str:
        return content.to_virtual(self.relpath)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, "")

    @property
    def type_label(self) -> str:
        return type_label(self.asset)


@dataclass(frozen=True)
class AssetListing:
    """One page of the Assets table.

    Without filters it is the folder's own contents, folders first, then files; with a filter it
    is every matching file below the folder, by path. ``next_cursor`` is passed back as ``after``
    for the next page (None on the last page).
    """

    folder: str
    entries: list[Entry]
    next_cursor: str | None
    recursive: bool


def broken_counts(asset_ids: Iterable[int]) -> dict[int, int]:
    """Broken references per asset, through reference_broken_idx (asset, broken)."""
    ids = list(asset_ids)
    if not ids:
        return {}
    rows = (
        Reference.objects.filter(asset_id__in=ids, broken=True)
        .order_by()
        .values_list("asset_id")
        .annotate(count=Count("id"))
    )
    return dict(rows)


def _with_counts(entries: list[Entry]) -> list[Entry]:
    counts = broken_counts(
        entry.asset.pk for entry in entries if entry.asset is not None and entry.status != DELETED
    )
    return [
        Entry(
            entry.name,
            entry.relpath,
            entry.is_folder,
            entry.status,
            entry.asset,
            entry.disk,
            counts.get(entry.asset.pk, 0) if entry.asset is not None else 0,
        )
        for entry in entries
    ]


def assets_listing(
    *,
    root: Path,
    folder: str,
    status: str = "",
    asset_type: str = "",
    has_broken: bool = False,
    after: str = "",
    limit: int = ASSETS_PAGE_SIZE,
) -> AssetListing:
    """A page of the Assets table for virtual ``folder`` (see AssetListing).

    Raises ``content.ContentPathError`` when the folder is neither on disk nor known from
    processing. Costs: the folder's own listing on disk (one ``scandir``) and O(page) queries
    without filters; with filters, O(rows read until the page is full).
    """
    relfolder = content.to_relpath(folder)
    if status or asset_type or has_broken:
        if status == PENDING:
            entries, cursor = _pending_below(root, relfolder, asset_type, has_broken, after, limit)
        else:
            entries, cursor = _matching_below(
                root, relfolder, status, asset_type, has_broken, after, limit
            )
        return AssetListing(folder, _with_counts(entries), cursor, recursive=True)
    entries, cursor = _folder_page(root, folder, relfolder, after, limit)
    return AssetListing(folder, _with_counts(entries), cursor, recursive=False)


def _disk_children(root: Path, folder: str, relfolder: str) -> tuple[list[str], list[str]]:
    """Sub-folder names and file names of a folder on disk, each sorted.

    A folder gone from disk lists nothing when assets below it are known (they show as Deleted);
    otherwise it raises ContentPathError, saying why.
    """
    try:
        real = content.resolve_folder(root, folder, field="folder")
    except content.ContentPathError:
        if relfolder and Asset.objects.filter(below(relfolder)).exists():
            return [], []
        raise
    folders: list[str] = []
    files: list[str] = []
    try:
        with os.scandir(real) as scan:
            for entry in scan:
                if entry.name.startswith("."):
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.name)
                    else:
                        files.append(entry.name)
                except OSError:
                    continue
    except OSError as exc:
        raise content.ContentPathError(
            "folder", f"{folder} cannot be read: {exc.strerror}."
        ) from None
    return sorted(folders), sorted(files)


def _db_files_in(relfolder: str, after_name: str, limit: int) -> list[Asset]:
    """Up to ``limit`` assets directly in ``relfolder`` named after ``after_name``, by name.

    A skip scan of the relpath index: a row inside a sub-folder makes the next query start past
    that whole sub-folder, so each query returns a file of the folder or skips a sub-folder.
    """
    prefix = f"{relfolder}/" if relfolder else ""
    found: list[Asset] = []
    start = prefix + after_name
    inclusive = False
    queryset = _listed().filter(below(relfolder)).order_by("relpath")
    while len(found) < limit:
        lookup = {"relpath__gte" if inclusive else "relpath__gt": start}
        asked = limit - len(found)
        rows = list(queryset.filter(**lookup)[:asked])
        if not rows:
            break
        skipped = False
        for asset in rows:
            rest = asset.relpath[len(prefix) :]
            if "/" in rest:
                # Everything in this sub-folder sorts below "<sub>0" ('0' follows '/').
                start = prefix + rest.split("/", 1)[0] + "0"
                inclusive = True
                skipped = True
                break
            found.append(asset)
            start, inclusive = asset.relpath, False
        if not skipped and len(rows) < asked:
            break
    return found


def _folder_page(
    root: Path, folder: str, relfolder: str, after: str, limit: int
) -> tuple[list[Entry], str | None]:
    """The folder's own contents after cursor ``after`` ("d:<name>" or "f:<name>")."""
    disk_folders, disk_files = _disk_children(root, folder, relfolder)
    kind, _, name = after.partition(":")
    prefix = f"{relfolder}/" if relfolder else ""
    entries: list[Entry] = []
    if kind != "f":
        for sub in disk_folders:
            if kind == "d" and sub <= name:
                continue
            entries.append(Entry(sub, prefix + sub, is_folder=True))
            if len(entries) > limit:
                break
    if len(entries) <= limit:
        after_file = name if kind == "f" else ""
        wanted = limit + 1 - len(entries)
        on_disk = [file for file in disk_files if file > after_file][:wanted]
        # Files processed once and gone from disk are listed among them, as Deleted.
        in_db = _db_files_in(relfolder, after_file, wanted)
        by_name = {asset.relpath[len(prefix) :]: asset for asset in in_db}
        missing = [prefix + file for file in on_disk if file not in by_name]
        for known in _listed().filter(relpath__in=missing):
            by_name[known.relpath[len(prefix) :]] = known
        names = sorted(set(on_disk) | set(by_name))[:wanted]
        for file in names:
            asset = by_name.get(file)
            disk = disk_state(root, prefix + file)
            entries.append(Entry(file, prefix + file, False, status_of(asset, disk), asset, disk))
    more = len(entries) > limit
    entries = entries[:limit]
    cursor = None
    if more and entries:
        last = entries[-1]
        cursor = f"{'d' if last.is_folder else 'f'}:{last.name}"
    return entries, cursor


def _listed() -> "QuerySet[Asset]":
    """Assets as the table shows them: without the wide columns it never reads (metadata, map
    tree, ids, key texts), whose decoding was most of a filtered page's time. Status Deleted over
    100,000 assets, 75,000 of them deleted (a scan until a page is full): 3.8 s a page before."""
    return Asset.objects.defer("metadata", "map_tree", "ids", "key_texts")


def _name_in(relfolder: str, relpath: str) -> str:
    return relpath[len(relfolder) + 1 :] if relfolder else relpath


def _matching_below(
    root: Path,
    relfolder: str,
    status: str,
    asset_type: str,
    has_broken: bool,
    after: str,
    limit: int,
) -> tuple[list[Entry], str | None]:
    """Assets below the folder that match, by relpath; status is decided with the disk."""
    queryset = _listed().filter(below(relfolder)).order_by("relpath")
    if asset_type:
        queryset = queryset.filter(asset_type=asset_type)
    if has_broken:
        queryset = queryset.filter(
            Exists(Reference.objects.filter(asset_id=OuterRef("pk"), broken=True)),
            deleted_at__isnull=True,
        )
    if status == PROCESSED:
        queryset = queryset.filter(status=processing.SUCCESS, deleted_at__isnull=True)
    elif status == FAILED:
        queryset = queryset.exclude(status=processing.SUCCESS).filter(deleted_at__isnull=True)
    # The scan reads the few columns the status needs, in long chunks, and whole rows only for
    # the page's matches: Status Deleted where nothing is deleted reads every asset below the
    # folder (the status is the disk's), 100,000 of them in 3.2 s a page with whole rows.
    scan = queryset.values_list(*_STATUS_COLUMNS)
    matched: list[tuple[int, str, str, OnDisk | None]] = []
    cursor = after
    while len(matched) <= limit:
        rows = list(scan.filter(relpath__gt=cursor)[:_SCAN_ROWS] if cursor else scan[:_SCAN_ROWS])
        for pk, relpath, deleted_at, size, mtime, result in rows:
            disk = disk_state(root, relpath)
            found = _status(deleted_at, size, mtime, result, disk)
            if (status and found != status) or (has_broken and found == DELETED):
                continue
            matched.append((pk, relpath, found, disk))
            if len(matched) > limit:
                break
        if len(rows) < _SCAN_ROWS or len(matched) > limit:
            break
        cursor = rows[-1][1]
    more = len(matched) > limit
    matched = matched[:limit]
    assets = _listed().in_bulk([pk for pk, *_ in matched])
    entries = [
        Entry(_name_in(relfolder, relpath), relpath, False, found, assets.get(pk), disk)
        for pk, relpath, found, disk in matched
    ]
    return entries, (entries[-1].relpath if more and entries else None)


def _pending_below(
    root: Path,
    relfolder: str,
    asset_type: str,
    has_broken: bool,
    after: str,
    limit: int,
) -> tuple[list[Entry], str | None]:
    """Files below the folder never processed or changed since: the walk, resumed at ``after``,
    compared with the assets a chunk at a time."""
    resume = (
        b"\0".join(part.encode("utf-8", "surrogateescape") for part in after.split("/"))
        if after
        else b""
    )
    walk = content.walk(root, relfolder, after=resume)
    entries: list[Entry] = []
    while len(entries) <= limit:
        chunk = [entry.relpath for entry in _take(walk, _SCAN_CHUNK) if not entry.problem]
        if not chunk:
            break
        assets = {asset.relpath: asset for asset in _listed().filter(relpath__in=chunk)}
        broken = broken_counts(asset.pk for asset in assets.values()) if has_broken else {}
        for relpath in chunk:
            asset = assets.get(relpath)
            disk = disk_state(root, relpath)
            if status_of(asset, disk) != PENDING:
                continue
            if has_broken and (asset is None or not broken.get(asset.pk)):
                continue
            if asset_type:
                kind = asset.asset_type if asset else processing.file_type(root, relpath)
                if kind != asset_type:
                    continue
            entries.append(
                Entry(_name_in(relfolder, relpath), relpath, False, PENDING, asset, disk)
            )
            if len(entries) > limit:
                break
    more = len(entries) > limit
    entries = entries[:limit]
    return entries, (entries[-1].relpath if more and entries else None)


def _take(iterator: Iterator[content.WalkEntry], count: int) -> list[content.WalkEntry]:
    taken: list[content.WalkEntry] = []
    for entry in iterator:
        taken.append(entry)
        if len(taken) >= count:
            break
    return taken
