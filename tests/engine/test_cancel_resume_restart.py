"""Cancel, resume and restart, with the work cut into small, deterministic steps."""

import pytest

from guides_processor import executions
from guides_processor.engine import calculation
from guides_processor.models import (
    Execution,
    ExecutionItem,
    ExecutionStatus,
    ItemState,
    LogLine,
)

from .steps import one_step, run
from .trees import guide, many

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_batches(settings):
    settings.GUIDES_BATCH_SIZE = 10


def test_cancel_of_a_waiting_execution_is_immediate(write_tree, settings):
    write_tree({**many(3, "a"), **many(3, "b")})
    first = executions.execution_create(path="/content/dam/a", created_by="admin")
    second = executions.execution_create(path="/content/dam/b", created_by="admin")
    assert second.status == ExecutionStatus.WAITING

    cancelled = executions.execution_cancel(processing_id=second.processing_id, by="admin")

    assert cancelled.status == ExecutionStatus.CANCELLED
    assert cancelled.completed_at is not None
    assert first.status == ExecutionStatus.IN_PROGRESS


def test_cancel_mid_run_stops_between_batches_and_resume_processes_only_what_was_left(
    write_tree, small_batches
):
    write_tree(many(45))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    one_step(execution)  # the manifest
    one_step(execution)  # one batch of 10
    one_step(execution)  # another
    executions.execution_cancel(processing_id=execution.processing_id, by="alice")
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CANCELLING
    one_step(execution)  # a worker notices the cancel and completes it
    execution.refresh_from_db()

    assert execution.status == ExecutionStatus.CANCELLED
    assert execution.processed_count == 20
    assert ExecutionItem.objects.filter(execution=execution, state=ItemState.PENDING).count() == 25
    assert "25 remain" in execution.comments
    done_before = set(
        ExecutionItem.objects.filter(execution=execution, state=ItemState.DONE).values_list(
            "pk", flat=True
        )
    )

    resumed = executions.execution_resume(processing_id=execution.processing_id, by="alice")
    assert resumed.status == ExecutionStatus.IN_PROGRESS
    finished = run(resumed)

    assert finished.status == ExecutionStatus.SUCCESS
    assert finished.processed_count == 45
    messages = list(LogLine.objects.filter(execution=execution).values_list("message", flat=True))
    # Each asset was processed exactly once over both runs.
    for index in range(45):
        assert sum(f"/content/dam/bulk/t{index:05d}.dita " in m for m in messages) == 1
    assert any("Resumed by alice; 25 assets remain" in m for m in messages)
    assert done_before <= set(
        ExecutionItem.objects.filter(execution=execution, state=ItemState.DONE).values_list(
            "pk", flat=True
        )
    )


def test_cancel_during_the_calculation_resumes_the_walk(write_tree, small_batches, monkeypatch):
    monkeypatch.setattr(calculation, "_CALCULATION_CHUNK", 10)
    write_tree(many(35))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    one_step(execution)  # 10 entries of the manifest
    executions.execution_cancel(processing_id=execution.processing_id, by="admin")
    one_step(execution)
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CANCELLED
    assert execution.calculation_status == "WAITING"
    assert execution.total_files == 10

    finished = run(executions.execution_resume(processing_id=execution.processing_id, by="admin"))
    assert finished.status == ExecutionStatus.SUCCESS
    assert (finished.total_files, finished.processed_count) == (35, 35)


def test_cancel_and_resume_are_refused_in_the_wrong_state(write_tree):
    write_tree(guide())
    execution = run(executions.execution_create(path="/content/dam/guide", created_by="admin"))
    with pytest.raises(executions.Conflict, match="only waiting or running"):
        executions.execution_cancel(processing_id=execution.processing_id, by="admin")
    with pytest.raises(executions.Conflict, match="only cancelled or failed"):
        executions.execution_resume(processing_id=execution.processing_id, by="admin")


def test_resume_of_a_running_execution_is_a_conflict(write_tree):
    write_tree(guide())
    execution = executions.execution_create(path="/content/dam/guide", created_by="admin")
    with pytest.raises(executions.Conflict):
        executions.execution_resume(processing_id=execution.processing_id, by="admin")


def test_unknown_ids_are_not_found():
    with pytest.raises(executions.NotFound):
        executions.execution_resume(
            processing_id="2b1f0f36-0000-4000-8000-000000000000", by="admin"
        )
    with pytest.raises(executions.NotFound):
        executions.execution_cancel(processing_id="not-a-uuid", by="admin")


def test_restart_makes_a_new_linked_execution_with_the_same_request(write_tree):
    write_tree({**guide(), **many(2, "guide/old")})
    original = run(
        executions.execution_create(
            path="/content/dam/guide",
            excluded_paths=["/content/dam/guide/old"],
            file_types=["DITATOPIC"],
            filter_processed_assets=True,
            created_by="admin",
        )
    )
    restarted = executions.execution_restart(processing_id=original.processing_id, by="bob")

    assert restarted.pk != original.pk
    assert restarted.restarted_from == original
    assert restarted.created_by == "bob"
    assert list(restarted.excluded.values_list("path", flat=True)) == ["/content/dam/guide/old"]
    assert (restarted.file_types, restarted.filter_processed_assets) == (["DITATOPIC"], True)
    assert run(restarted).status == ExecutionStatus.SUCCESS


def test_restart_of_an_active_execution_is_a_conflict(write_tree):
    write_tree(guide())
    execution = executions.execution_create(path="/content/dam/guide", created_by="admin")
    with pytest.raises(executions.Conflict, match="only finished"):
        executions.execution_restart(processing_id=execution.processing_id, by="admin")


def test_restart_of_a_folder_that_is_gone_is_a_conflict_saying_what_to_do(write_tree, content_root):
    import shutil

    write_tree(guide())
    execution = run(executions.execution_create(path="/content/dam/guide", created_by="admin"))
    shutil.rmtree(content_root / "guide")
    with pytest.raises(executions.Conflict) as refused:
        executions.execution_restart(processing_id=execution.processing_id, by="admin")
    assert refused.value.message == (
        f"Execution {execution.processing_id} cannot be restarted: /content/dam/guide does not "
        "exist. Put it back, then restart."
    )
    assert refused.value.field is None


def test_a_folder_removed_mid_run_fails_the_execution_and_resume_can_continue(
    write_tree, content_root, small_batches
):
    import shutil

    write_tree(many(30))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    one_step(execution)
    one_step(execution)
    backup = content_root.parent / "backup"
    shutil.move(content_root / "bulk", backup)
    one_step(execution)
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.FAILED
    assert "no longer exists" in execution.comments
    assert execution.failed_count == 0  # nothing was blamed on the assets

    shutil.move(backup, content_root / "bulk")
    finished = run(executions.execution_resume(processing_id=execution.processing_id, by="admin"))
    assert (finished.status, finished.processed_count) == (ExecutionStatus.SUCCESS, 30)


def test_a_folder_deleted_file_by_file_blames_nothing_and_resume_retries_what_was_missing(
    write_tree, content_root, small_batches
):
    # `rm -rf` removes the files first and the folder last: batches processed in between find
    # files missing while the folder is still there.
    import shutil

    files = many(30)
    write_tree(files)
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    one_step(execution)  # the manifest
    one_step(execution)  # the first ten
    for relpath in sorted(files)[10:]:
        (content_root / relpath).unlink()
    one_step(execution)  # the next ten are missing; the folder is still there
    shutil.rmtree(content_root / "bulk")
    one_step(execution)  # now the folder is gone
    execution.refresh_from_db()

    assert execution.status == ExecutionStatus.FAILED
    assert "no longer exists" in execution.comments
    assert execution.failed_count == 0
    assert not ExecutionItem.objects.filter(execution=execution, state=ItemState.FAILED).exists()
    assert ExecutionItem.objects.filter(execution=execution, state=ItemState.PENDING).count() == 20

    write_tree(files)
    finished = run(executions.execution_resume(processing_id=execution.processing_id, by="admin"))

    assert finished.status == ExecutionStatus.SUCCESS, finished.comments
    assert (finished.processed_count, finished.failed_count) == (30, 0)


def test_resume_while_the_folder_is_missing_is_a_conflict_that_says_so(
    write_tree, content_root, small_batches
):
    import shutil

    write_tree(many(30))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    one_step(execution)
    one_step(execution)
    shutil.rmtree(content_root / "bulk")
    one_step(execution)
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.FAILED
    reason = execution.comments

    with pytest.raises(executions.Conflict, match="folder is missing") as refused:
        executions.execution_resume(processing_id=execution.processing_id, by="admin")

    assert "/content/dam/bulk" in refused.value.message
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.FAILED
    assert execution.comments == reason  # the status object still says why it failed


def test_the_api_answers_409_to_resume_while_the_folder_is_missing(
    write_tree, content_root, small_batches, client, django_user_model
):
    import shutil

    write_tree(many(15))
    execution = executions.execution_create(path="/content/dam/bulk", created_by="admin")
    one_step(execution)
    shutil.rmtree(content_root / "bulk")
    one_step(execution)
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.org", "x"))

    status = client.get(
        "/bin/guides/v1/assets/process/status", {"processingId": str(execution.processing_id)}
    ).json()
    answer = client.post(
        "/bin/guides/v1/assets/process/resume",
        {"processingId": str(execution.processing_id)},
        content_type="application/json",
    )

    assert status["status"] == "FAILED"
    assert "no longer exists" in status["comments"]
    assert answer.status_code == 409
    assert answer.json()["error"] == "CONFLICT"
    assert "folder is missing" in answer.json()["message"]


def test_a_cancel_after_every_file_and_before_the_link_check_says_resume_runs_it(write_tree):
    """The command line's Ctrl-C can land between the last batch and the finish: nothing remains
    to process, only the link pass, which resume runs."""
    write_tree(many(3, "a"))
    execution = executions.execution_create(path="/content/dam/a", created_by="admin")
    executions.execution_calculate(processing_id=execution.processing_id)
    ExecutionItem.objects.filter(execution=execution).update(state=ItemState.DONE)
    Execution.objects.filter(pk=execution.pk).update(processed_count=3)

    cancelled = executions.execution_cancel_abandoned(
        processing_id=execution.processing_id, by="cli (Ctrl-C)"
    )

    assert cancelled.status == ExecutionStatus.CANCELLED
    assert cancelled.comments == (
        "Cancelled after all 3 assets, before the link check of their references; resume runs it."
    )
    resumed = executions.execution_resume(processing_id=execution.processing_id, by="admin")
    finished = executions.execution_run_inline(processing_id=resumed.processing_id)
    assert finished.status == ExecutionStatus.SUCCESS


def test_a_cancel_before_the_walk_listed_anything_says_so_and_resume_lists_the_folder(
    write_tree,
):
    write_tree(many(3, "a"))
    execution = executions.execution_create(path="/content/dam/a", created_by="admin")

    cancelled = executions.execution_cancel_abandoned(
        processing_id=execution.processing_id, by="cli (Ctrl-C)"
    )

    assert cancelled.status == ExecutionStatus.CANCELLED
    assert cancelled.comments == (
        "Cancelled while listing the folder, before any asset; resume goes on with it."
    )
    resumed = executions.execution_resume(processing_id=execution.processing_id, by="admin")
    finished = executions.execution_run_inline(processing_id=resumed.processing_id)
    assert (finished.status, finished.processed_count) == (ExecutionStatus.SUCCESS, 3)
