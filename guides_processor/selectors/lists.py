"""Lists of executions: the API's history and the console's pages."""

from dataclasses import dataclass
from typing import Any

from django.db import NotSupportedError
from django.db.models import F, Lookup, QuerySet
from django.db.models.sql.compiler import SQLCompiler

from ..models import ACTIVE_STATUSES, Execution, ExecutionStatus


class _ListsPathAt(Lookup[Any]):
    """Whether a JSON list of virtual paths (``Execution.paths``) holds ``folder`` or a path
    below it: an execution over several paths belongs to the folder of any of them.

    Each database reads the elements of a JSON array with its own function. The head of each
    path is compared for equality, not with LIKE (SQLite's ignores ASCII case).
    """

    lookup_name = "lists_path_at"
    prepare_rhs = False
    # The elements of the list as rows of ``value``, by database.
    _ELEMENTS = {
        "sqlite": "json_each({column})",
        "postgresql": "jsonb_array_elements_text({column}) AS listed(value)",
    }

    def as_sql(self, compiler: SQLCompiler, connection: Any) -> tuple[str, list[Any]]:
        elements = self._ELEMENTS.get(connection.vendor)
        if elements is None:
            raise NotSupportedError("the paths of executions are read on SQLite and PostgreSQL")
        column, params = compiler.compile(self.lhs)
        folder = str(self.rhs)
        prefix = folder.rstrip("/") + "/"
        return (
            f"EXISTS (SELECT 1 FROM {elements.format(column=column)} "
            "WHERE value = %s OR substr(value, 1, %s) = %s)",
            [*params, folder, len(prefix), prefix],
        )


def executions_recent(*, limit: int) -> QuerySet[Execution]:
    """The newest executions first, with what the status object needs fetched along."""
    return (
        Execution.objects.order_by("-id")
        .select_related("restarted_from")
        .prefetch_related("excluded")[:limit]
    )


EXECUTIONS_PAGE_SIZE = 25


@dataclass(frozen=True)
class ExecutionPage:
    """One page of executions, newest first, with the cursors of its neighbours.

    Paging is by id (keyset), so a page costs O(page size) whatever the table holds, and a page
    that is not the newest stays the same while new executions arrive.
    """

    executions: list[Execution]
    newer_than: int | None  # pass as ``after`` for the page of newer executions, None when first
    older_than: int | None  # pass as ``before`` for the page of older executions, None when last


def executions_page(
    *,
    status: str = "",
    folder: str = "",
    before: int | None = None,
    after: int | None = None,
    limit: int = EXECUTIONS_PAGE_SIZE,
) -> ExecutionPage:
    """Executions with ``status`` (any when empty) with a path that is ``folder`` or below it
    (any when empty).

    ``before`` gives the page of executions older than that id, ``after`` the page just newer than
    it; neither gives the newest page.
    """
    queryset = Execution.objects.all()
    if status:
        queryset = queryset.filter(status=status)
    if folder:
        queryset = queryset.filter(_ListsPathAt(F("paths"), folder))
    queryset = queryset.select_related("restarted_from").prefetch_related("excluded")
    if after is not None:
        rows = list(queryset.filter(pk__gt=after).order_by("id")[: limit + 1])
        if len(rows) <= limit:
            # Nothing newer beyond this page: it is the newest page, shown full.
            return executions_page(status=status, folder=folder, limit=limit)
        rows = rows[:limit][::-1]
        has_newer = has_older = True
    else:
        if before is not None:
            queryset = queryset.filter(pk__lt=before)
        rows = list(queryset.order_by("-id")[: limit + 1])
        has_older = len(rows) > limit
        rows = rows[:limit]
        has_newer = before is not None
    if not rows:
        return ExecutionPage([], None, None)
    return ExecutionPage(
        rows,
        newer_than=rows[0].pk if has_newer else None,
        older_than=rows[-1].pk if has_older else None,
    )


def executions_active_exist() -> bool:
    """Whether any execution waits or runs (one probe of the status index)."""
    return Execution.objects.filter(status__in=ACTIVE_STATUSES).exists()


def execution_queue_place(execution: Execution) -> int:
    """1 + the executions waiting that were created before ``execution`` (they start first).

    Costs one count on the (status, id) index.
    """
    return Execution.objects.filter(status=ExecutionStatus.WAITING, pk__lt=execution.pk).count() + 1
