"""The change trigger: with GUIDES_WATCH, one process of a real cluster watches the catch-up paths
and a burst of changes becomes one execution, GUIDES_WATCH_DEBOUNCE_SECONDS after its end."""

import time

from django.utils import timezone

from guides_processor.models import AutomationState, Execution, ExecutionItem
from tests.automation.test_catchup import wait_for


def watched() -> bool:
    state = AutomationState.objects.filter(name="watch").first()
    return bool(state and state.due_at and state.due_at > timezone.now() and state.details)


def test_a_burst_of_two_thousand_files_is_one_system_execution(
    start_cluster, content_root, tmp_path
):
    (content_root / "docs").mkdir()
    # Two clusters of two workers, as two hosts would run them: one process watches.
    for _ in range(2):
        start_cluster(GUIDES_WATCH="true", GUIDES_CATCHUP_SECONDS="0", GUIDES_LOG_LEVEL="INFO")
    wait_for(watched, seconds=20, what="a worker watching the content root")
    holders = {AutomationState.objects.get(name="watch").holder}

    for index in range(2000):
        (content_root / "docs" / f"topic-{index:04}.md").write_text(f"# Topic {index}\n")
    written = time.time()

    execution = wait_for(
        lambda: Execution.objects.filter(created_by="system").first(),
        seconds=40,
        what="a system execution",
    )
    latency = execution.created_at.timestamp() - written
    print(f"watch latency: {latency:.2f} s after the last of 2,000 files")
    assert execution.total_files == 2000
    assert ExecutionItem.objects.filter(execution=execution).count() == 2000
    # Not before the debounce (5 s by default) after the last change, nor much after it.
    assert 4.5 <= latency <= 15

    wait_for(
        lambda: Execution.objects.get(pk=execution.pk).status == "SUCCESS",
        seconds=120,
        what="the execution finished",
    )
    # Processing reads the files, which is no change: nothing else is queued, and one process
    # watched all along.
    time.sleep(8)
    assert Execution.objects.filter(created_by="system").count() == 1
    holders.add(AutomationState.objects.get(name="watch").holder)
    assert len(holders) == 1
    logs = "".join(log.read_text() for log in sorted(tmp_path.glob("cluster-*.log")))
    assert logs.count("watch: watching") == 1, logs
