"""A process that works a slot sets Python's garbage collector for it (``engine.collector``)."""

import gc

import pytest

from guides_processor import executions
from guides_processor.engine import collector
from guides_processor.models import ExecutionStatus

from .steps import run
from .trees import many

pytestmark = pytest.mark.django_db


def test_a_slot_task_freezes_what_is_loaded_and_collects_in_larger_steps(write_tree):
    collector.tune_collector.cache_clear()
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    write_tree(many(3))
    execution = run(executions.execution_create(path="/content/dam/bulk", created_by="admin"))
    assert execution.status == ExecutionStatus.SUCCESS
    assert gc.get_threshold() == (20_000, 20, 20)
    assert gc.get_freeze_count() > 0
    # Once per process: the objects of later tasks are not frozen.
    frozen = gc.get_freeze_count()
    run(executions.execution_create(path="/content/dam/bulk", created_by="admin"))
    assert gc.get_freeze_count() <= frozen
