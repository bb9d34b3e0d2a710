"""Paths are compared byte by byte, whatever the database's default collation.

A folder's files are read as a range of relpaths ("docs/" < relpath < "docs0"). In a language's
collation (en_US.UTF-8, the default of many PostgreSQL installations) case only breaks ties, so
"Docs/b.dita" falls inside that range: the folder ``docs`` would take in its sibling ``Docs``.
These tests hold a tree with both and look at ``docs`` through each reader of such a range. On
PostgreSQL the path columns are declared ``COLLATE "C"`` (``models.PathField``); run against a
database made with ``LOCALE_PROVIDER icu ICU_LOCALE 'en-US'``, the behaviour tests fail without
it (the catch-up counted ``Docs/b.dita`` as deleted, the report and the status listed it).
"""

from typing import Any

import pytest
from django.db import connection

from guides_processor import executions
from guides_processor.engine.sql import none_vanished
from guides_processor.executions.catchup import catchup_scan
from guides_processor.models import Asset, ExecutionItem, ExecutionStatus, UsedIn, below
from guides_processor.selectors.lists import executions_page
from tests.engine.trees import topic

STATUS = "/bin/guides/v1/assets/status"
REPORT = "/bin/guides/v1/reports/broken-links"


@pytest.fixture
def siblings(write_tree, db) -> None:
    """``docs`` and ``Docs`` side by side, each with a topic with one broken link."""
    write_tree(
        {
            "docs/a.dita": topic("a", "Alpha", '<xref href="missing-a.dita"/>'),
            "Docs/b.dita": topic("b", "Beta", '<xref href="missing-b.dita"/>'),
            "Docs/sub/e.dita": topic("e", "Epsilon"),
            "docs0/c.dita": topic("c", "Gamma", '<xref href="../docs/a.dita"/>'),
        }
    )
    execution = executions.execution_create(path="/content/dam", created_by="admin")
    finished = executions.execution_run_inline(processing_id=execution.processing_id)
    assert finished.status == ExecutionStatus.SUCCESS
    assert Asset.objects.count() == 4


def test_the_catch_up_of_a_folder_does_not_see_its_case_sibling_as_gone(siblings):
    changes = catchup_scan(paths=["/content/dam/docs"])
    assert (changes.scanned, changes.deleted, changes.relpaths) == (1, 0, [])


def test_the_broken_links_of_a_folder_are_its_own(siblings, api):
    body = api.get(REPORT, {"path": "/content/dam/docs"}).json()
    assert [link["value"] for link in body["links"]] == ["missing-a.dita"]
    assert body["total"] == 1


def test_the_asset_status_of_a_folder_lists_its_own_files(siblings, api, post_json):
    response = post_json(api, STATUS, {"paths": ["/content/dam/docs"]})
    assert response.status_code == 200, response.content
    body: dict[str, Any] = api.get(STATUS, {"jobId": response.json()["jobId"]}).json()
    assert [asset["path"] for asset in body["assets"]] == ["/content/dam/docs/a.dita"]


def test_an_unchanged_rerun_of_a_folder_counts_its_own_files(siblings):
    execution = executions.execution_create(
        path="/content/dam/docs", created_by="admin", filter_processed_assets=True
    )
    finished = executions.execution_run_inline(processing_id=execution.processing_id)
    assert (finished.status, finished.total_files, finished.skipped_count) == (
        ExecutionStatus.SUCCESS,
        1,
        1,
    )


def test_an_unchanged_rerun_of_a_folder_is_seen_to_have_lost_no_file(siblings):
    """The finish's shortcut counts the live assets the manifest lacks below the folder: only
    ``docs/a.dita`` (unchanged), not the two files of ``Docs`` (SQLite's LIKE counted them)."""
    execution = executions.execution_create(
        path="/content/dam/docs", created_by="admin", filter_processed_assets=True
    )
    finished = executions.execution_run_inline(processing_id=execution.processing_id)
    assert finished.skipped_count == 1
    assert none_vanished(execution_id=finished.pk, relfolders=["docs"], unchanged=1)


@pytest.mark.django_db
def test_below_a_folder_are_its_files_and_those_of_its_sub_folders_only():
    names = [
        "docs/a.dita",
        "docs/sub/b.dita",
        "Docs/c.dita",
        "docs0/d.dita",
        "docs-x/e.dita",
        "docs.dita",
        "top.dita",
    ]
    Asset.objects.bulk_create(
        Asset(relpath=name, asset_type="topic", status="SUCCESS", processed_at="2026-01-01T00:00Z")
        for name in names
    )

    def found(relfolder: str) -> set[str]:
        return set(Asset.objects.filter(below(relfolder)).values_list("relpath", flat=True))

    assert found("docs") == {"docs/a.dita", "docs/sub/b.dita"}
    assert found("docs/sub") == {"docs/sub/b.dita"}
    assert found("Docs") == {"Docs/c.dita"}
    assert found("") == set(names)


def test_the_executions_of_a_folder_are_its_own_and_those_below_it(siblings):
    """SQLite's LIKE ignores ASCII case: the folder filter compares the path's head instead."""
    for path in ("/content/dam/Docs/sub", "/content/dam/docs", "/content/dam/docs0"):
        executions.execution_create(path=path, created_by="admin")
    shown = [execution.path for execution in executions_page(folder="/content/dam/docs").executions]
    assert shown == ["/content/dam/docs"]


@pytest.mark.django_db
def test_paths_sort_by_their_bytes_in_the_database():
    """The order SQL gives equals Python's (code points, which UTF-8's bytes keep)."""
    names = ["docs/a.dita", "Docs/b.dita", "docs0/c.dita", "docs-x/d.dita", "é/e.dita"]
    Asset.objects.bulk_create(
        Asset(relpath=name, asset_type="topic", status="SUCCESS", processed_at="2026-01-01T00:00Z")
        for name in names
    )
    assert list(Asset.objects.order_by("relpath").values_list("relpath", flat=True)) == sorted(
        names
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL column's collation")
@pytest.mark.django_db
@pytest.mark.parametrize("model", [Asset, ExecutionItem, UsedIn])
def test_the_path_columns_are_collated_byte_by_byte_on_postgresql(model):
    column = "target" if model is UsedIn else "relpath"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT collation_name FROM information_schema.columns "
            "WHERE table_name = %s AND column_name = %s",
            [model._meta.db_table, column],
        )
        assert cursor.fetchall() == [("C",)]
