"""The catch-up: files new or changed since their last processing, and assets whose file is gone,
are processed by one execution of ``system``; an unchanged tree makes none."""

import os
import time

import pytest
from django.test import Client
from django.utils import timezone

from guides_processor import executions
from guides_processor.executions.catchup import catchup_run, catchup_scan, catchup_tick
from guides_processor.executions.manifest import execution_create_for_files
from guides_processor.models import (
    Asset,
    AutomationState,
    Execution,
    ExecutionItem,
    ExecutionStatus,
    LogLine,
)
from tests.api.conftest import PASSWORD, basic, basic_client
from tests.automation.test_metrics import samples
from tests.engine.trees import topic


def process(path: str = "/content/dam") -> Execution:
    execution = executions.execution_create(path=path, created_by="tester")
    return executions.execution_run_inline(processing_id=execution.processing_id)


def manifest(execution: Execution) -> list[str]:
    return sorted(
        ExecutionItem.objects.filter(execution=execution).values_list("relpath", flat=True)
    )


@pytest.fixture
def processed(write_tree, settings):
    settings.GUIDES_CATCHUP_PATHS = ["/content/dam"]
    root = write_tree(
        {
            "docs/a.dita": topic("a", "Alpha"),
            "docs/b.dita": topic("b", "Beta"),
            "docs/c.dita": topic("c", "Gamma"),
            "other/d.md": "# D\n",
        }
    )
    assert process().status == ExecutionStatus.SUCCESS
    return root


@pytest.mark.django_db
def test_new_changed_and_deleted_files_make_one_system_execution_over_them(processed):
    root = processed
    (root / "docs/new.dita").write_text(topic("new", "New"))
    (root / "docs/b.dita").write_text(topic("b", "Beta, longer now"))
    (root / "other/d.md").unlink()

    outcome = catchup_run(trigger="schedule")

    assert outcome.result == "queued"
    execution = outcome.execution
    assert execution is not None
    assert (execution.created_by, execution.filter_processed_assets) == ("system", True)
    assert execution.path == "/content/dam"
    assert manifest(execution) == ["docs/b.dita", "docs/new.dita"]
    assert Execution.objects.filter(created_by="system").count() == 1

    done = executions.execution_run_inline(processing_id=execution.processing_id)
    assert (done.status, done.total_files, done.processed_count) == ("SUCCESS", 2, 2)
    assert Asset.objects.get(relpath="docs/b.dita").title == "Beta, longer now"
    assert Asset.objects.get(relpath="other/d.md").deleted_at is not None
    # The files left out of the list are still there, and stay live.
    live = Asset.objects.filter(deleted_at__isnull=True).values_list("relpath", flat=True)
    assert sorted(live) == ["docs/a.dita", "docs/b.dita", "docs/c.dita", "docs/new.dita"]
    state = AutomationState.objects.get(name="catchup")
    assert state.runs == 1
    assert (state.details["new"], state.details["changed"], state.details["deleted"]) == (1, 1, 1)

    # Everything is now as processed: nothing to do, nothing queued.
    assert catchup_run(trigger="schedule").result == "nothing"
    assert Execution.objects.filter(created_by="system").count() == 1


@pytest.mark.django_db
def test_a_touched_file_is_caught_up_and_an_unchanged_tree_is_not(processed):
    root = processed
    assert catchup_run(trigger="schedule").result == "nothing"
    os.utime(root / "docs/c.dita", (1_700_000_000, 1_700_000_000))
    outcome = catchup_run(trigger="schedule")
    assert outcome.execution is not None
    assert manifest(outcome.execution) == ["docs/c.dita"]


@pytest.mark.django_db
def test_the_catch_up_waits_while_an_execution_overlaps_its_paths(processed, settings):
    (processed / "docs/new.dita").write_text(topic("new", "New"))
    settings.GUIDES_MAX_RUNNING = 1
    busy = executions.execution_create(path="/content/dam/docs", created_by="tester")
    assert busy.status == ExecutionStatus.IN_PROGRESS

    assert catchup_run(trigger="schedule").result == "waiting"
    assert not Execution.objects.filter(created_by="system").exists()

    executions.execution_run_inline(processing_id=busy.processing_id)
    # That run processed the new file itself: nothing is left for the catch-up.
    assert catchup_run(trigger="schedule").result == "nothing"


@pytest.mark.django_db
def test_a_rerun_skipping_unchanged_files_does_not_mark_them_deleted(processed):
    rerun = executions.execution_create(
        path="/content/dam/docs", created_by="tester", filter_processed_assets=True
    )
    rerun = executions.execution_run_inline(processing_id=rerun.processing_id)
    assert rerun.skipped_count == 3
    assert not Asset.objects.filter(deleted_at__isnull=False).exists()
    assert not LogLine.objects.filter(execution=rerun, message__contains="marked deleted").exists()


@pytest.mark.django_db
def test_an_execution_over_a_list_refuses_files_outside_its_folder(processed):
    with pytest.raises(executions.InvalidInput):
        execution_create_for_files(
            path="/content/dam/docs", relpaths=["other/d.md"], created_by="tester"
        )
    with pytest.raises(executions.InvalidInput):
        execution_create_for_files(path="/content/dam/nowhere", relpaths=[], created_by="tester")


@pytest.mark.django_db
def test_an_execution_over_a_list_is_refused_where_an_active_one_overlaps_only(processed):
    (processed / "other").mkdir(exist_ok=True)
    (processed / "other/o.dita").write_text(topic("o", "O"))
    busy = executions.execution_create(path="/content/dam/docs", created_by="tester")

    with pytest.raises(executions.Conflict, match=str(busy.processing_id)):
        execution_create_for_files(
            path="/content/dam/docs", relpaths=["docs/a.dita"], created_by="tester"
        )
    beside = execution_create_for_files(
        path="/content/dam/other", relpaths=["other/o.dita"], created_by="tester"
    )
    assert beside.total_files == 1


@pytest.mark.django_db
def test_the_scan_of_several_paths_looks_only_under_them(processed, settings):
    (processed / "docs/new.dita").write_text(topic("new", "New"))
    (processed / "other/new.md").write_text("# New\n")
    changes = catchup_scan(paths=["/content/dam/other"])
    assert changes.relpaths == ["other/new.md"]
    settings.GUIDES_CATCHUP_PATHS = ["/content/dam/other", "/content/dam/docs"]
    outcome = catchup_run(trigger="schedule")
    assert outcome.execution is not None
    assert manifest(outcome.execution) == ["docs/new.dita", "other/new.md"]


def wait_for(condition, *, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.25)
    raise AssertionError(f"not within {seconds} s: {what}")


def test_a_cluster_catches_up_new_and_changed_files_and_leaves_an_unchanged_tree(
    start_cluster, processed, admin
):
    root = processed
    start_cluster(GUIDES_CATCHUP_SECONDS="5")
    (root / "docs/new.dita").write_text(topic("new", "New"))
    (root / "docs/a.dita").write_text(topic("a", "Alpha, changed"))

    execution = wait_for(
        lambda: Execution.objects.filter(created_by="system", status="SUCCESS").first(),
        seconds=40,
        what="a system execution finished",
    )
    assert manifest(execution) == ["docs/a.dita", "docs/new.dita"]
    assert Asset.objects.get(relpath="docs/a.dita").title == "Alpha, changed"

    # The tree is unchanged now: the following runs queue nothing.
    runs = AutomationState.objects.get(name="catchup").runs
    wait_for(
        lambda: AutomationState.objects.get(name="catchup").runs >= runs + 2,
        seconds=30,
        what="two more catch-up runs",
    )
    assert Execution.objects.filter(created_by="system").count() == 1
    assert AutomationState.objects.get(name="catchup").details["result"] == "nothing"
    status = basic_client(admin).get("/bin/guides/v1/system/status").json()
    assert status["workers"] == 2
    assert status["catchup"]["runs"] >= 3


@pytest.mark.django_db
def test_the_metrics_count_catch_up_runs_and_their_executions(processed, admin, settings):
    (processed / "docs/new.dita").write_text(topic("new", "New"))
    queued = catchup_run(trigger="schedule").execution
    assert queued is not None
    executions.execution_run_inline(processing_id=queued.processing_id)
    assert catchup_run(trigger="schedule").result == "nothing"

    found = samples(Client().get("/metrics", HTTP_AUTHORIZATION=basic("admin", PASSWORD)))
    assert found[("guides_catchup_runs_total", ())] == 2
    assert found[("guides_catchup_executions_total", ())] == 1


@pytest.mark.django_db
def test_a_restart_of_a_catch_up_redoes_its_list(processed):
    (processed / "docs/new.dita").write_text(topic("new", "New"))
    assert catchup_run(trigger="schedule").result == "queued"
    caught = Execution.objects.get(created_by="system")
    caught = executions.execution_run_inline(processing_id=caught.processing_id)

    again = executions.execution_restart(processing_id=caught.processing_id, by="tester")

    assert again.listed_files and again.restarted_from == caught
    assert list(again.items.values_list("relpath", flat=True)) == ["docs/new.dita"]
    done = executions.execution_run_inline(processing_id=again.processing_id)
    # With the catch-up's filter: the file, processed by it, is unchanged since.
    assert (done.total_files, done.skipped_count) == (1, 1)
    assert again.filter_processed_assets == caught.filter_processed_assets
    assert not Asset.objects.filter(deleted_at__isnull=False).exists()


def test_a_shortened_period_applies_at_once_not_after_the_old_one(db, settings):
    """A due time set under GUIDES_CATCHUP_SECONDS=900, then a restart with 30: the next run is
    within 30 s, not at the old due time (it had been 15 minutes)."""
    settings.GUIDES_CATCHUP_SECONDS = 900
    catchup_tick()  # first seen: due in 900 s
    first = AutomationState.objects.get(name="catchup").due_at
    assert first is not None

    settings.GUIDES_CATCHUP_SECONDS = 30
    wait = catchup_tick()

    due = AutomationState.objects.get(name="catchup").due_at
    assert due is not None and due < first
    assert 0 < wait <= 30
    assert (due - timezone.now()).total_seconds() <= 30
