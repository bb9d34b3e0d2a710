"""One asset, as its page and the API's asset endpoints show it: its view beside the disk, the
references it makes (Uses) and those naming it (Used in, through ``UsedIn``), the keys that
resolve to it, and the executions that listed it. The listing of folders is ``assets.py``.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from django.db.models import Count, F, Q, QuerySet

from .. import content, processing
from ..models import Asset, Execution, ExecutionItem, Reference, UsedIn
from .assets import STATUS_LABELS, OnDisk, broken_counts, disk_state, status_of, type_label


def verdict_label(code: str) -> str:
    """A reason or warning code as a sentence (``processing.REASONS``), or the code itself."""
    return processing.VERDICT_LABELS.get(code, code)


def warning_note(warning: str, note: str) -> str:
    """A warning's note as shown: the root maps that lack the key as /content/dam paths (stored
    as relpaths, joined by ``, ``); what an unused fallback's own target would give."""
    if warning == processing.KEY_UNDEFINED_IN_SOME_MAPS and note:
        return ", ".join(content.to_virtual(relpath) for relpath in note.split(", "))
    if warning == processing.FALLBACK_NOT_USED and note:
        # The fallback's own verdict, kept for the day the key goes (``keys._fallback_verdict``).
        return f"were it used, {processing.REASONS[note][0]}" if note in processing.REASONS else ""
    return note


REFERENCES_PAGE_SIZE = 50
REFERENCES_API_LIMIT_MAX = 500
HISTORY_LIMIT = 20


@dataclass(frozen=True)
class AssetView:
    """A file as the asset page shows it: its last result (None when never processed), the disk
    now, and the console's status."""

    relpath: str
    asset: Asset | None
    disk: OnDisk | None
    status: str
    broken_count: int

    @property
    def path(self) -> str:
        return content.to_virtual(self.relpath)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def type_label(self) -> str:
        return type_label(self.asset)

    @property
    def modified_at(self) -> datetime | None:
        """When the file was last modified: on disk now, else as last processed."""
        if self.disk is not None:
            return datetime.fromtimestamp(self.disk.mtime, tz=UTC)
        if self.asset is not None:
            return datetime.fromtimestamp(self.asset.mtime, tz=UTC)
        return None

    @property
    def folder(self) -> str:
        return content.to_virtual(self.relpath.rpartition("/")[0])


def asset_view(*, root: Path, relpath: str) -> AssetView | None:
    """The file at ``relpath``, or None when it is neither processed nor on disk."""
    asset = Asset.objects.filter(relpath=relpath).first()
    disk = disk_state(root, relpath)
    if asset is None and disk is None:
        return None
    status = status_of(asset, disk)
    # A deleted asset's too, as its page lists them (the reports leave them out: it says so).
    broken = broken_counts([asset.pk]).get(asset.pk, 0) if asset else 0
    return AssetView(relpath, asset, disk, status, broken)


@dataclass(frozen=True)
class ReferencePage:
    """References in id order; ``next_cursor`` is the last id shown when there are more."""

    references: list[Reference]
    next_cursor: int | None


def _page(rows: list[Reference], limit: int) -> ReferencePage:
    more = len(rows) > limit
    rows = rows[:limit]
    return ReferencePage(rows, rows[-1].pk if more and rows else None)


def asset_uses(
    *,
    asset: Asset,
    after: int = 0,
    offset: int = 0,
    broken_only: bool = False,
    limit: int = REFERENCES_PAGE_SIZE,
) -> ReferencePage:
    """The asset's outgoing references after id ``after``, ``offset`` more skipped
    (reference_broken_idx, then id)."""
    queryset = Reference.objects.filter(asset=asset, pk__gt=after).select_related("asset")
    if broken_only:
        queryset = queryset.filter(broken=True)
    return _page(list(queryset.order_by("id")[offset : offset + limit + 1]), limit)


def keys_defined_as(*, relpath: str) -> list[str]:
    """The keys that live references name and that resolve to ``relpath`` (the key pass stores a
    key reference's resolved file as its target). Keys no reference uses are not listed: key
    spaces are computed per root map when an execution finishes, not kept per file.

    Read through Used in, whose rows name their target and key: the references have no index on
    their target, and scanning them all for each asset page grew with the repository (11 ms at
    200,000 references on PostgreSQL). PostgreSQL reads the index of key references
    (``usedin_key_idx``: 0.01 ms for a file 100,000 references name, none of them by key);
    SQLite, without planner statistics, the file's Used in rows (7 ms there).
    """
    return sorted(
        set(
            UsedIn.objects.filter(
                ~Q(key=""),
                target=relpath,
                # A row may be older than the key pass that moved its reference's target.
                reference__target=relpath,
                reference__asset__deleted_at__isnull=True,
            ).values_list("key", flat=True)
        )
    )


def _used_in(relpaths: Iterable[str]) -> QuerySet[Reference]:
    """References of live assets that name any of ``relpaths``, through UsedIn's target index.

    ``target`` is checked on the reference too: a row of UsedIn may be older than the key pass
    that changed its reference's target. A file's links into itself (``#topic/element``, a
    conref within the topic) are left out: "Used in" and "Used by" answer where else it is used,
    and a file that nothing else names is used nowhere, however it links within itself.
    """
    wanted = list(relpaths)
    return Reference.objects.filter(
        used_in_row__target__in=wanted, target__in=wanted, asset__deleted_at__isnull=True
    ).exclude(asset__relpath=F("target"))


def asset_used_in(
    *, relpath: str, after: int = 0, offset: int = 0, limit: int = REFERENCES_PAGE_SIZE
) -> ReferencePage:
    """References of live assets whose target is the file, after id ``after``, by id.

    Key references count too: the finishing pass stores the file their key resolves to (in the
    key space of the map that uses the source) in ``target``. Read through ``UsedIn`` (filled when
    executions finish), keyset-paged on the reference id: O(page), plus ``offset`` rows skipped.
    """
    return _page(
        list(
            _used_in([relpath])
            .filter(used_in_row__reference_id__gt=after)
            .select_related("asset")
            .order_by("used_in_row__reference_id")[offset : offset + limit + 1]
        ),
        limit,
    )


def used_by_counts(*, relpaths: Iterable[str]) -> dict[str, int]:
    """How many references of live assets name each of ``relpaths`` (those named by none are
    left out)."""
    rows = _used_in(relpaths).order_by().values_list("target").annotate(count=Count("id"))
    return {target: count for target, count in rows}


@dataclass(frozen=True)
class HistoryRow:
    execution: Execution
    item: ExecutionItem


def asset_history(*, relpath: str, limit: int = HISTORY_LIMIT) -> list[HistoryRow]:
    """The newest executions whose manifest listed the file, with the item's outcome: the
    file's items through item_relpath_idx (relpath, execution), newest execution first."""
    items = list(
        ExecutionItem.objects.filter(relpath=relpath).order_by("-execution_id", "-id")[:limit]
    )
    executions = Execution.objects.in_bulk([item.execution_id for item in items])
    return [
        HistoryRow(executions[item.execution_id], item)
        for item in items
        if item.execution_id in executions
    ]
