"""Reads: the typed status object and its JSON (``status``), log pages (``logs``), lists of
executions (``lists``), and what an execution did (``reports``). Nothing here writes, and nothing
here imports the services or the engine.
"""

from .lists import (
    EXECUTIONS_PAGE_SIZE,
    ExecutionPage,
    execution_queue_place,
    executions_active_exist,
    executions_page,
    executions_recent,
)
from .logs import (
    LOG_CHUNK_LINES,
    LOG_LIMIT_DEFAULT,
    LOG_LIMIT_MAX,
    LogPage,
    log_after,
    log_before,
    log_chunks,
    log_page,
    log_tail,
)
from .logs import (
    kept_lines as log_kept_lines,
)
from .reports import (
    ItemCounts,
    execution_broken_references,
    execution_failed_items,
    execution_item_counts,
)
from .status import (
    Eta,
    ExecutionStatusView,
    MigrationSet,
    StatusFilter,
    eta_seconds,
    execution_status,
    execution_status_view,
    execution_timings,
)

__all__ = [
    "EXECUTIONS_PAGE_SIZE",
    "LOG_CHUNK_LINES",
    "LOG_LIMIT_DEFAULT",
    "LOG_LIMIT_MAX",
    "Eta",
    "ExecutionPage",
    "ExecutionStatusView",
    "ItemCounts",
    "LogPage",
    "MigrationSet",
    "StatusFilter",
    "eta_seconds",
    "execution_broken_references",
    "execution_failed_items",
    "execution_item_counts",
    "execution_queue_place",
    "execution_status",
    "execution_status_view",
    "execution_timings",
    "executions_active_exist",
    "executions_page",
    "executions_recent",
    "log_after",
    "log_before",
    "log_chunks",
    "log_kept_lines",
    "log_page",
    "log_tail",
]
