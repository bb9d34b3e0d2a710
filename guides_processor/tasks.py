"""django-q2 entry points. Each is a thin call into services; ids in, nothing returned of note."""

from . import services


def run_slot(execution_id: int, slot: int, generation: int) -> str:
    """Work on one slot of an execution for a time budget, then hand over to a continuation."""
    return services.execution_work(execution_id=execution_id, slot=slot, generation=generation)


def watchdog() -> int:
    """Scheduled every minute: recover executions whose workers went silent."""
    return services.executions_recover()


def ping() -> str:
    """Answered by any running cluster; the command line uses it to see whether one runs."""
    return "pong"
