"""Driving an execution from a test: to its end in this process, or one task at a time."""

from guides_processor import executions
from guides_processor.engine.slot import execution_work
from guides_processor.models import Execution


def run(execution: Execution) -> Execution:
    """Process the execution in this process until it is finished; return it as it ended."""
    return executions.execution_run_inline(processing_id=execution.processing_id)


def one_step(execution: Execution) -> str:
    """One task with no time budget: it writes one batch (or one chunk of the manifest)."""
    slot = execution.slots.get(number=0)
    return execution_work(
        execution_id=execution.pk,
        slot=0,
        generation=slot.generation,
        seconds=0,
        enqueue_continuation=False,
    )
