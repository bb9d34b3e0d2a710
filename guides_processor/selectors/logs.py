"""An execution's log: pages by line number, the tail, cursor pages, and the whole log in chunks.
Every read is a range on the (execution, line) index, so it costs what it returns."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from ..models import Execution, LogLine

# The most log lines one request returns.
LOG_LIMIT_MAX = 5000
LOG_LIMIT_DEFAULT = 500


def kept_lines(execution: Execution) -> int:
    """The lines of the execution's log that are still there: none once retention removed them
    (``pruned_at``), though ``log_line_count`` still says how many it had."""
    return 0 if execution.pruned_at else execution.log_line_count


@dataclass(frozen=True)
class LogPage:
    lines: list[LogLine]
    offset: int
    limit: int
    has_more: bool
    total: int


def log_page(execution: Execution, *, offset: int = 0, limit: int = LOG_LIMIT_DEFAULT) -> LogPage:
    """Lines ``offset`` .. ``offset + limit - 1``. Costs O(limit): a range on the line index."""
    limit = max(0, min(limit, LOG_LIMIT_MAX))
    offset = max(0, offset)
    total = kept_lines(execution)
    lines = list(
        LogLine.objects.filter(
            execution=execution, line__gte=offset, line__lt=offset + limit
        ).order_by("line")
    )
    return LogPage(lines, offset, limit, offset + limit < total, total)


def log_tail(execution: Execution, *, lines: int = LOG_LIMIT_DEFAULT) -> LogPage:
    """The last ``lines`` lines; the page's ``offset`` is where they start."""
    count = max(0, min(lines, LOG_LIMIT_MAX))
    start = max(0, kept_lines(execution) - count)
    return log_page(execution, offset=start, limit=count)


def log_after(execution: Execution, *, after: int, limit: int = LOG_LIMIT_DEFAULT) -> LogPage:
    """Lines numbered above ``after`` (the cursor pattern), at most ``limit`` of them.

    Costs O(lines returned): a range on the line index. ``has_more`` says whether more were
    written than this page holds.
    """
    limit = max(1, min(limit, LOG_LIMIT_MAX))
    start = max(after + 1, 0)
    lines = list(
        LogLine.objects.filter(execution=execution, line__gte=start).order_by("line")[: limit + 1]
    )
    return LogPage(lines[:limit], start, limit, len(lines) > limit, kept_lines(execution))


def log_before(execution: Execution, *, before: int, limit: int = LOG_LIMIT_DEFAULT) -> LogPage:
    """The ``limit`` lines just before line ``before``; ``has_more`` says whether earlier exist."""
    limit = max(1, min(limit, LOG_LIMIT_MAX))
    end = max(0, min(before, kept_lines(execution)))
    start = max(0, end - limit)
    page = log_page(execution, offset=start, limit=end - start)
    return LogPage(page.lines, start, end - start, start > 0, page.total)


# Lines read per query when the whole log is streamed.
LOG_CHUNK_LINES = 2000


def log_chunks(
    execution: Execution, *, chunk: int = LOG_CHUNK_LINES
) -> Iterator[list[tuple[int, datetime, str, str]]]:
    """The whole log as lists of ``(line, time, level, message)``, in line order.

    Each list is one range query on the line index, so memory stays O(chunk) whatever the log's
    size. The log is read up to the ``log_line_count`` of ``execution`` as passed in: lines a
    running execution appends meanwhile are not included.
    """
    end = kept_lines(execution)
    for start in range(0, end, chunk):
        yield list(
            LogLine.objects.filter(
                execution=execution, line__gte=start, line__lt=min(start + chunk, end)
            )
            .order_by("line")
            .values_list("line", "time", "level", "message")
        )
