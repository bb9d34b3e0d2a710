"""One execution over several paths (folders or files): the calculation walks each, the checks
and the queue look at each, and cancel, resume and restart keep them all."""

import shutil
from pathlib import Path

import pytest

from guides_processor import executions, selectors
from guides_processor.engine import calculation
from guides_processor.models import Asset, Execution, ExecutionItem, ExecutionStatus, ItemState

from .steps import one_step, run
from .trees import many, topic

pytestmark = pytest.mark.django_db


def manifest(execution: Execution) -> list[str]:
    return sorted(
        ExecutionItem.objects.filter(execution=execution).values_list("relpath", flat=True)
    )


def test_two_folders_are_processed_in_one_execution_and_nothing_beside_them(write_tree):
    write_tree({**many(4, "b"), **many(3, "a"), **many(5, "other")})

    execution = run(
        executions.execution_create(paths=["/content/dam/b", "/content/dam/a"], created_by="admin")
    )

    assert execution.status == ExecutionStatus.SUCCESS
    assert (execution.total_files, execution.processed_count) == (7, 7)
    assert manifest(execution) == sorted([*many(4, "b"), *many(3, "a")])
    # path is the first given; paths keeps the order of the request.
    assert execution.path == "/content/dam/b"
    assert execution.paths == ["/content/dam/b", "/content/dam/a"]
    status = selectors.execution_status(execution)
    assert status["path"] == "/content/dam/b"
    assert status["paths"] == ["/content/dam/b", "/content/dam/a"]


def test_one_file_and_one_folder(write_tree):
    write_tree({**many(3, "docs"), "notes/one.dita": topic("one", "One"), **many(2, "notes")})

    execution = run(
        executions.execution_create(
            path="/content/dam/notes/one.dita", paths=["/content/dam/docs"], created_by="admin"
        )
    )

    assert execution.status == ExecutionStatus.SUCCESS
    assert manifest(execution) == sorted([*many(3, "docs"), "notes/one.dita"])
    assert execution.all_paths == ["/content/dam/notes/one.dita", "/content/dam/docs"]


def test_path_comes_first_and_duplicates_are_dropped(write_tree):
    write_tree({**many(1, "a"), **many(1, "b")})

    execution = executions.execution_create(
        path="content/dam/b",
        paths=["/content/dam/a", "/content/dam/b/", "/content/dam/a"],
        created_by="admin",
    )

    assert execution.paths == ["/content/dam/b", "/content/dam/a"]


@pytest.mark.parametrize(
    ("path", "paths", "field"),
    [
        pytest.param(None, ["/content/dam/a", "/content/dam/a/inner"], "paths[1]", id="inside"),
        pytest.param("/content/dam/a/inner", ["/content/dam/a"], "paths[0]", id="around path"),
        pytest.param(None, ["/content/dam/a/inner/t00000.dita", "/content/dam"], "paths[1]"),
    ],
)
def test_paths_that_overlap_each_other_are_refused_naming_the_field(write_tree, path, paths, field):
    write_tree({**many(1, "a"), **many(1, "a/inner")})

    with pytest.raises(executions.InvalidInput, match="overlaps") as refused:
        executions.execution_create(path=path, paths=paths, created_by="admin")

    assert refused.value.field == field
    assert not Execution.objects.exists()


def test_neither_path_nor_paths_is_refused(write_tree):
    with pytest.raises(executions.InvalidInput, match="path is required") as refused:
        executions.execution_create(paths=[], created_by="admin")
    assert refused.value.field == "path"


def test_an_excluded_folder_may_be_inside_any_of_the_paths(write_tree):
    write_tree({**many(2, "a"), **many(2, "b"), **many(3, "b/old")})

    execution = run(
        executions.execution_create(
            paths=["/content/dam/a", "/content/dam/b"],
            excluded_paths=["/content/dam/b/old"],
            created_by="admin",
        )
    )

    assert manifest(execution) == sorted([*many(2, "a"), *many(2, "b")])


def test_each_path_is_checked_against_the_active_executions(write_tree):
    write_tree({**many(2, "a"), **many(2, "b"), **many(2, "c")})
    active = executions.execution_create(path="/content/dam/b/t00001.dita", created_by="admin")

    with pytest.raises(executions.Conflict) as refused:
        executions.execution_create(paths=["/content/dam/a", "/content/dam/b"], created_by="admin")

    assert str(active.processing_id) in refused.value.message
    assert "/content/dam/b overlaps" in refused.value.message
    # And an active execution of several paths is overlapped through any of them.
    several = executions.execution_create(
        paths=["/content/dam/c", "/content/dam/a"], created_by="x"
    )
    with pytest.raises(executions.Conflict, match=str(several.processing_id)):
        executions.execution_create(path="/content/dam/a/t00000.dita", created_by="admin")


def test_resume_after_a_cancel_in_the_middle_of_the_walk_walks_the_rest_of_both(
    write_tree, settings, monkeypatch
):
    settings.GUIDES_BATCH_SIZE = 10
    monkeypatch.setattr(calculation, "_CALCULATION_CHUNK", 10)
    # "a-b" sorts after "a" by parts although "a-b" < "a/..." as text.
    files = {**many(14, "a-b"), **many(13, "a"), **many(4, "a/deep")}
    write_tree(files)
    execution = executions.execution_create(
        paths=["/content/dam/a-b", "/content/dam/a"], created_by="admin"
    )
    one_step(execution)  # the first ten entries of the walk: inside "a"
    executions.execution_cancel(processing_id=execution.processing_id, by="admin")
    one_step(execution)
    execution.refresh_from_db()
    assert execution.status == ExecutionStatus.CANCELLED
    assert execution.total_files == 10
    assert all(relpath.startswith("a/") for relpath in manifest(execution))

    finished = run(executions.execution_resume(processing_id=execution.processing_id, by="admin"))

    assert finished.status == ExecutionStatus.SUCCESS
    assert manifest(finished) == sorted(files)  # every file once, none twice
    assert (finished.total_files, finished.processed_count) == (31, 31)


def test_restart_carries_every_path(write_tree):
    write_tree({**many(2, "a"), **many(2, "b")})
    first = run(
        executions.execution_create(paths=["/content/dam/b", "/content/dam/a"], created_by="x")
    )

    again = run(executions.execution_restart(processing_id=first.processing_id, by="admin"))

    assert again.paths == ["/content/dam/b", "/content/dam/a"]
    assert manifest(again) == manifest(first)


def test_one_path_removed_mid_run_fails_naming_it_and_resume_finishes(
    write_tree, content_root: Path, settings
):
    settings.GUIDES_BATCH_SIZE = 5
    write_tree({**many(5, "a"), **many(10, "b")})
    execution = executions.execution_create(
        paths=["/content/dam/a", "/content/dam/b"], created_by="admin"
    )
    one_step(execution)  # the manifest
    one_step(execution)  # the five of "a"
    backup = content_root.parent / "backup"
    shutil.move(content_root / "b", backup)
    one_step(execution)  # "b" is gone while "a" is still there
    execution.refresh_from_db()

    assert execution.status == ExecutionStatus.FAILED
    assert "/content/dam/b no longer exists" in execution.comments
    assert execution.failed_count == 0
    with pytest.raises(executions.Conflict, match="cannot be resumed"):
        executions.execution_resume(processing_id=execution.processing_id, by="admin")

    shutil.move(backup, content_root / "b")
    finished = run(executions.execution_resume(processing_id=execution.processing_id, by="admin"))
    assert (finished.status, finished.processed_count) == (ExecutionStatus.SUCCESS, 15)


def test_a_file_gone_from_a_path_that_is_still_there_is_that_assets_failure(
    write_tree, content_root: Path, settings
):
    settings.GUIDES_BATCH_SIZE = 5
    write_tree({**many(5, "a"), **many(5, "b")})
    execution = executions.execution_create(
        paths=["/content/dam/a", "/content/dam/b"], created_by="admin"
    )
    one_step(execution)  # the manifest
    (content_root / "b" / "t00002.dita").unlink()

    finished = run(execution)

    assert finished.status == ExecutionStatus.SUCCESS
    assert (finished.processed_count, finished.failed_count) == (9, 1)
    failed = ExecutionItem.objects.get(execution=finished, state=ItemState.FAILED)
    assert failed.relpath == "b/t00002.dita"


def test_finishing_marks_deleted_what_vanished_under_each_path_only(write_tree, content_root: Path):
    write_tree({**many(2, "a"), **many(2, "b"), **many(2, "c")})
    run(executions.execution_create(path="/content/dam", created_by="admin"))
    for folder in ("a", "b", "c"):
        (content_root / folder / "t00001.dita").unlink()

    run(executions.execution_create(paths=["/content/dam/b", "/content/dam/a"], created_by="x"))

    deleted = Asset.objects.filter(deleted_at__isnull=False).values_list("relpath", flat=True)
    assert sorted(deleted) == ["a/t00001.dita", "b/t00001.dita"]


def test_a_sub_folder_moved_mid_run_leaves_no_live_asset_behind_it(
    write_tree, content_root: Path, settings
):
    """Of ``s/x`` (5 topics, one linking to ``s/y``) and ``s/y`` (5 topics) processed 5 at a
    time, ``s/x`` is processed, then ``s`` moves away: ``s/y``'s 5 fail as not found, and all 10
    assets are marked deleted; what links into them from outside is broken."""
    settings.GUIDES_BATCH_SIZE = 5
    link = topic("l", "Links", '<xref href="../s/y/t00000.dita"/>')
    write_tree({**many(5, "p/s/x"), **many(5, "p/s/y"), "p/o/links.dita": link})
    run(executions.execution_create(path="/content/dam/p/o", created_by="admin"))
    execution = executions.execution_create(path="/content/dam/p/s", created_by="admin")
    one_step(execution)  # the manifest
    one_step(execution)  # s/x
    assert ExecutionItem.objects.filter(execution=execution, state=ItemState.DONE).count() == 5
    shutil.move(content_root / "p" / "s", content_root / "moved")
    (content_root / "p" / "s").mkdir()  # the folder itself is there, empty

    finished = run(execution)

    assert (finished.status, finished.processed_count, finished.failed_count) == (
        ExecutionStatus.SUCCESS,
        5,
        5,
    )
    live = Asset.objects.filter(relpath__startswith="p/s/", deleted_at__isnull=True)
    assert list(live.values_list("relpath", flat=True)) == []
    assert Asset.objects.filter(relpath__startswith="p/s/").count() == 10
    assert "10 assets no longer on disk, marked deleted." in [
        line.message for line in finished.log_lines.all()
    ]
    (reference,) = Asset.objects.get(relpath="p/o/links.dita").references.all()
    assert (reference.broken, reference.reason) == (True, "FILE_MISSING")
