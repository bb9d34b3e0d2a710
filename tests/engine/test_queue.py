"""Creating executions: validation, overlapping paths, the WAITING queue."""

import pytest

from guides_processor import executions
from guides_processor.models import ExecutionStatus

from .steps import run
from .trees import guide, many

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/content/dam/../etc", "'..'"),
        ("/etc/passwd", "outside /content/dam"),
        ("/content/damage", "outside /content/dam"),
        ("/content/dam/nope", "does not exist"),
        ("/content/dam/guide/guide.ditamap/x", "not a folder"),
        ("", "must not be empty"),
        (42, "must be a string"),
    ],
)
def test_it_refuses_a_path_it_cannot_process(write_tree, path, message):
    write_tree(guide())
    with pytest.raises(executions.InvalidInput, match=message) as raised:
        executions.execution_create(path=path, created_by="admin")
    assert raised.value.field == "path"


def test_it_refuses_a_symlink_that_leaves_the_root(write_tree, content_root, tmp_path):
    write_tree(guide())
    outside = tmp_path / "outside"
    outside.mkdir()
    (content_root / "escape").symlink_to(outside)
    with pytest.raises(executions.InvalidInput, match="symbolic link"):
        executions.execution_create(path="/content/dam/escape", created_by="admin")


def test_it_refuses_exclusions_that_are_not_inside_the_folder(write_tree):
    write_tree({**guide(), **many(1, "other")})
    with pytest.raises(
        executions.InvalidInput, match=r"excludedPaths\[0\].*not a folder inside"
    ) as raised:
        executions.execution_create(
            path="/content/dam/guide", excluded_paths=["/content/dam/other"], created_by="admin"
        )
    assert raised.value.field == "excludedPaths[0]"
    with pytest.raises(executions.InvalidInput, match="does not exist"):
        executions.execution_create(
            path="/content/dam/guide",
            excluded_paths=["/content/dam/guide/gone"],
            created_by="admin",
        )


def test_it_refuses_unknown_types_and_filters(write_tree):
    write_tree(guide())
    with pytest.raises(executions.InvalidInput, match="type must be"):
        executions.execution_create(
            path="/content/dam/guide", processing_type="MIGRATION", created_by="a"
        )
    with pytest.raises(executions.InvalidInput, match="not an asset type"):
        executions.execution_create(path="/content/dam/guide", file_types=["PDF"], created_by="a")
    with pytest.raises(executions.InvalidInput, match="later than"):
        executions.execution_create(
            path="/content/dam/guide", start_time=2000, end_time=1000, created_by="a"
        )


@pytest.mark.parametrize(
    "other", ["/content/dam/guide", "/content/dam", "/content/dam/guide/topics"]
)
def test_an_overlapping_path_is_refused_naming_the_execution(write_tree, other):
    write_tree(guide())
    running = executions.execution_create(path="/content/dam/guide", created_by="admin")
    with pytest.raises(executions.Conflict, match=str(running.processing_id)):
        executions.execution_create(path=other, created_by="admin")


def test_a_finished_execution_does_not_block_its_path(write_tree):
    write_tree(guide())
    run(executions.execution_create(path="/content/dam/guide", created_by="admin"))
    assert executions.execution_create(path="/content/dam/guide", created_by="admin").pk


def test_queueing_respects_max_running(write_tree, settings):
    settings.GUIDES_MAX_RUNNING = 1
    write_tree({**many(2, "a"), **many(2, "b"), **many(2, "c")})
    a = executions.execution_create(path="/content/dam/a", created_by="admin")
    b = executions.execution_create(path="/content/dam/b", created_by="admin")
    c = executions.execution_create(path="/content/dam/c", created_by="admin")
    assert [a.status, b.status, c.status] == ["IN_PROGRESS", "WAITING", "WAITING"]

    run(a)
    b.refresh_from_db()
    c.refresh_from_db()
    assert (b.status, c.status) == (ExecutionStatus.IN_PROGRESS, ExecutionStatus.WAITING)


def test_two_may_run_at_once_when_allowed(write_tree, settings):
    settings.GUIDES_MAX_RUNNING = 2
    write_tree({**many(2, "a"), **many(2, "b"), **many(2, "c")})
    statuses = [
        executions.execution_create(path=f"/content/dam/{name}", created_by="admin").status
        for name in "abc"
    ]
    assert statuses == ["IN_PROGRESS", "IN_PROGRESS", "WAITING"]
