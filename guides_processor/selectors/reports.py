"""What an execution did: its items counted by outcome and type, failed items, broken references."""

from dataclasses import dataclass

from django.db.models import Count

from ..models import Execution, ExecutionItem, ItemState, Reference


@dataclass(frozen=True)
class ItemCounts:
    """The manifest of an execution counted by outcome, and by asset type and outcome."""

    by_state: dict[str, int]
    by_type: dict[str, dict[str, int]]  # asset type ("" while pending) -> state -> count


def execution_item_counts(execution: Execution) -> ItemCounts:
    """Counts of the execution's items. Costs one grouped scan of that execution's items."""
    by_state: dict[str, int] = {state: 0 for state in ItemState.values}
    by_type: dict[str, dict[str, int]] = {}
    rows = (
        ExecutionItem.objects.filter(execution=execution)
        .order_by()
        .values_list("asset_type", "state")
        .annotate(count=Count("id"))
    )
    for asset_type, state, count in rows:
        by_state[state] = by_state.get(state, 0) + count
        by_type.setdefault(asset_type, {}).setdefault(state, 0)
        by_type[asset_type][state] += count
    return ItemCounts(by_state, by_type)


def execution_failed_items(execution: Execution, *, limit: int = 200) -> list[ExecutionItem]:
    """The first ``limit`` failed items of the execution, in manifest order, with their reasons."""
    return list(
        ExecutionItem.objects.filter(execution=execution, state=ItemState.FAILED).order_by("id")[
            :limit
        ]
    )


def execution_broken_references(execution: Execution, *, limit: int = 200) -> list[Reference]:
    """Broken references of the assets this execution processed (and that are still on disk), as
    last processed, each with its ``reason`` code.

    The references belong to the assets, so for an older execution they show what the latest
    processing of each asset found.
    """
    processed = ExecutionItem.objects.filter(
        execution=execution, state=ItemState.DONE, asset__isnull=False
    ).values("asset_id")
    # ``reason`` on each says why (``processing.REASONS``); references of assets deleted since
    # are history, not broken links.
    return list(
        Reference.objects.filter(
            broken=True, asset_id__in=processed, asset__deleted_at__isnull=True
        )
        .select_related("asset")
        .order_by("asset__relpath", "line", "id")[:limit]
    )
