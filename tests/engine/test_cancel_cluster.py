"""A cancel while a real cluster's slots are mid-batch: CANCELLED comes after the last write."""

import re

import pytest

from guides_processor import executions
from guides_processor.models import ExecutionItem, ExecutionStatus, ItemState, LogLine

from .test_crashes import finished, progressed, wait_until
from .trees import many

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]

FILES = 4000
BATCH = 400
# Four chains on two workers, with batches that take a while to process: a cancel always finds
# some slots mid-batch while another is between batches.
CLUSTER = {"GUIDES_WORKERS": "2", "GUIDES_PARALLEL_TASKS": "4", "GUIDES_BATCH_SIZE": str(BATCH)}
BODY = "</p><p>".join(
    f"Paragraph {n} of a longer topic, with <b>some</b> markup." for n in range(80)
)


def test_cancelled_is_set_after_every_batch_is_written_and_its_summary_matches_the_counters(
    write_tree, start_cluster, settings
):
    settings.GUIDES_PARALLEL_TASKS = 4
    settings.GUIDES_BATCH_SIZE = BATCH
    write_tree(many(FILES, body=BODY))
    start_cluster(**CLUSTER)
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    wait_until(progressed(execution, FILES // 4), 90, "progress")

    executions.execution_cancel(processing_id=execution.processing_id, by="admin")
    wait_until(finished(execution), 60, "the cancel")

    assert execution.status == ExecutionStatus.CANCELLED
    (summary,) = LogLine.objects.filter(execution=execution, message__startswith="Cancelled after")
    outcomes = LogLine.objects.filter(execution=execution).filter(
        message__regex=r"^(Processed|Failed|Skipped) "
    )
    assert outcomes.filter(line__gt=summary.line).count() == 0
    assert not outcomes.filter(time__gt=summary.time).exists()
    match = re.match(
        r"Cancelled after ([\d,]+) of ([\d,]+) assets; ([\d,]+) remain", summary.message
    )
    assert match is not None, summary.message
    done, total, remaining = (int(group.replace(",", "")) for group in match.groups())
    pending = ExecutionItem.objects.filter(execution=execution, state=ItemState.PENDING).count()
    assert done == execution.triggered_count
    assert done == execution.processed_count + execution.failed_count + execution.skipped_count
    assert (
        done
        == ExecutionItem.objects.filter(execution=execution)
        .exclude(state=ItemState.PENDING)
        .count()
    )
    assert remaining == pending
    assert total == execution.total_files == done + remaining
    assert execution.comments == summary.message
    assert 0 < done < FILES
