"""The command line's runner when one of its spawned worker processes dies."""

import pytest

from guides_processor import executions
from guides_processor.executions import inline
from guides_processor.models import ExecutionStatus
from tests.engine.trees import many

from . import crashing_worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_worker_process_that_dies_fails_the_execution_and_the_runner_returns(
    write_tree, monkeypatch
):
    # Enough files that slot 0, worked in this process, is still busy when it sees the crash.
    write_tree(many(20_000))
    monkeypatch.setattr(inline, "worker_process", crashing_worker)
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    ended = executions.execution_run_inline(processing_id=execution.processing_id, processes=2)
    assert ended.status == ExecutionStatus.FAILED
    assert ended.comments.endswith("a worker process of the command line exited with status 3")
