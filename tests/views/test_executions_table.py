"""The executions table: columns, paging newest first, filters in the URL, live only when needed."""

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from guides_processor import executions
from guides_processor.models import Execution, ExecutionStatus
from tests.engine.trees import many

from .conftest import HTMX

pytestmark = pytest.mark.django_db

EXECUTIONS = reverse("guides_processor:executions")


def make(count: int, *, path: str = "/content/dam/a", status: str = ExecutionStatus.SUCCESS):
    Execution.objects.bulk_create(
        Execution(
            path=f"{path}/{index:03d}", paths=[f"{path}/{index:03d}"], status=status, created_by="t"
        )
        for index in range(count)
    )


def ids_on(html: str) -> list[str]:
    return re.findall(r'data-processing-id="([0-9a-f-]{36})"', html)


def link(html: str, query: str) -> str:
    """The first href on the page whose query has ``query`` (``before=`` or ``after=``)."""
    found = re.search(rf'href="([^"]*{query}\d+)"', html)
    assert found, f"the page has a link with {query}"
    return found.group(1)


def test_the_page_shows_the_columns_of_the_product(runner_client, finished):
    html = runner_client.get(EXECUTIONS).content.decode()

    for column in (
        "Execution ID",
        "Folder",
        "Excluded Folders",
        "Start time",
        "End time",
        "Status",
    ):
        assert f">{column}</th>" in html
    assert "Completed" in html
    assert str(finished.processing_id)[:8] in html


def test_an_htmx_request_gets_the_table_alone(runner_client, finished):
    response = runner_client.get(EXECUTIONS, **HTMX)

    html = response.content.decode()
    assert html.startswith('<section id="executions"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_the_table_looks_every_15_seconds_when_nothing_runs(runner_client, finished):
    page = runner_client.get(EXECUTIONS).content.decode()
    fragment = runner_client.get(EXECUTIONS, **HTMX)

    # Slowly, for runs that start elsewhere (the API, the catch-up); 286 ends the fast polling.
    assert "every 2s" not in page and "every 15s" in page
    assert fragment.status_code == 286
    assert "every 2s" not in fragment.content.decode()
    assert "every 15s" in fragment.content.decode()


def test_the_table_polls_while_an_execution_runs(runner_client, running):
    page = runner_client.get(EXECUTIONS).content.decode()
    fragment = runner_client.get(EXECUTIONS, **HTMX)

    assert "every 2s" in page
    assert fragment.status_code == 200
    assert "every 2s" in fragment.content.decode()


def test_a_running_row_shows_progress_eta_and_failures(runner_client, running):
    Execution.objects.filter(pk=running.pk).update(
        total_files=200, processed_count=50, failed_count=3, calculation_status="SUCCESS"
    )

    html = runner_client.get(EXECUTIONS).content.decode()

    assert "In progress" in html
    assert "53 / 200" in html
    assert "3 failed" in html
    assert '<progress max="200" value="53"' in html


def test_pages_are_newest_first_and_link_older_and_newer(runner_client):
    make(60)
    newest_first = [
        str(pid)
        for pid in Execution.objects.order_by("-id").values_list("processing_id", flat=True)
    ]

    first = runner_client.get(EXECUTIONS).content.decode()
    assert ids_on(first) == newest_first[:25]
    older = link(first, "before=").replace("&amp;", "&")

    second = runner_client.get(older).content.decode()
    assert ids_on(second) == newest_first[25:50]
    newer = link(second, "after=").replace("&amp;", "&")

    assert ids_on(runner_client.get(newer).content.decode()) == newest_first[:25]


def test_an_older_page_stays_the_same_when_new_executions_arrive(runner_client):
    make(30)
    first = runner_client.get(EXECUTIONS).content.decode()
    older = link(first, "before=").replace("&amp;", "&")
    before = ids_on(runner_client.get(older).content.decode())

    make(10, path="/content/dam/new")

    assert ids_on(runner_client.get(older).content.decode()) == before


def test_filters_by_status_and_folder_are_kept_in_the_links(runner_client):
    make(30, path="/content/dam/a")
    make(30, path="/content/dam/b", status=ExecutionStatus.FAILED)
    make(3, path="/content/dam/b", status=ExecutionStatus.CANCELLED)

    response = runner_client.get(EXECUTIONS, {"status": "FAILED", "folder": "/content/dam/b"})

    html = response.content.decode()
    assert len(ids_on(html)) == 25
    assert set(
        Execution.objects.filter(processing_id__in=ids_on(html)).values_list("status", flat=True)
    ) == {"FAILED"}
    older = link(html, "before=")
    assert "status=FAILED" in older and "folder=%2Fcontent%2Fdam%2Fb" in older
    assert '<option value="FAILED" selected>' in html


def test_a_folder_filter_matches_the_folder_and_below_it_only(runner_client):
    for path in ("/content/dam/b", "/content/dam/b/c", "/content/dam/bc", "/content/dam/a"):
        Execution.objects.create(path=path, status="SUCCESS", created_by="t")  # paths: [path]

    html = runner_client.get(EXECUTIONS, {"folder": "b"}).content.decode()

    shown = set(
        Execution.objects.filter(processing_id__in=ids_on(html)).values_list("path", flat=True)
    )
    assert shown == {"/content/dam/b", "/content/dam/b/c"}


def test_a_folder_filter_matches_an_execution_by_any_of_its_paths(runner_client):
    """The first path was the only one read: an execution over ``x`` and ``b/c`` was missing
    from the executions of ``b``."""
    Execution.objects.bulk_create(
        Execution(path=paths[0], paths=paths, status="SUCCESS", created_by="t")
        for paths in (
            ["/content/dam/x", "/content/dam/b/c/t.dita"],
            ["/content/dam/y", "/content/dam/b"],
            ["/content/dam/z", "/content/dam/bc", "/content/dam/B/c"],
            ["/content/dam/b/d"],
        )
    )

    html = runner_client.get(EXECUTIONS, {"folder": "b"}).content.decode()

    shown = set(
        Execution.objects.filter(processing_id__in=ids_on(html)).values_list("path", flat=True)
    )
    assert shown == {"/content/dam/x", "/content/dam/y", "/content/dam/b/d"}


def test_an_execution_saved_without_its_paths_lists_its_path():
    """An execution made for a list of files gave ``path`` alone; those made before ``paths``
    was have it empty until migration 0016 fills it: the folder filter reads ``paths`` alone."""
    made = Execution.objects.create(path="/content/dam/b/c", created_by="t")
    assert made.paths == ["/content/dam/b/c"]
    made.paths = []
    made.save(update_fields=["status"])
    made.refresh_from_db()
    assert made.paths == ["/content/dam/b/c"]


def test_the_migration_lists_the_path_of_executions_made_before_paths_were(runner_client):
    fill = importlib.import_module("guides_processor.migrations.0016_execution_paths_filled").fill
    old = [Execution.objects.create(path=f"/content/dam/b/{n}", created_by="t") for n in range(3)]
    several = Execution.objects.create(
        path="/content/dam/x", paths=["/content/dam/x", "/content/dam/b/y"], created_by="t"
    )
    Execution.objects.filter(pk__in=[row.pk for row in old]).update(paths=[])
    assert Execution.objects.filter(paths=[]).count() == 3

    fill(django_apps, None)

    assert [row.paths for row in Execution.objects.order_by("id")] == [
        ["/content/dam/b/0"],
        ["/content/dam/b/1"],
        ["/content/dam/b/2"],
        ["/content/dam/x", "/content/dam/b/y"],
    ]
    html = runner_client.get(EXECUTIONS, {"folder": "b"}).content.decode()
    assert set(ids_on(html)) == {str(row.processing_id) for row in [*old, several]}


def test_a_folder_filter_that_is_not_a_path_is_explained_and_ignored(runner_client, finished):
    html = runner_client.get(EXECUTIONS, {"folder": "a/../b"}).content.decode()

    assert "Folder filter ignored" in html
    assert str(finished.processing_id) in html


def test_filters_that_match_nothing_say_so(runner_client, finished):
    html = runner_client.get(EXECUTIONS, {"status": "CANCELLED"}).content.decode()

    assert "No executions match these filters." in html


def test_an_execution_of_several_paths_shows_each_on_its_own_line(runner_client, write_tree):
    write_tree({**many(1, "b"), **many(1, "a")})
    execution = executions.execution_create(
        paths=["/content/dam/b", "/content/dam/a/t00000.dita"], created_by="operator"
    )

    html = runner_client.get(EXECUTIONS).content.decode()

    row = re.search(rf'<tr id="row-{execution.processing_id}".*?</tr>', html, re.S)
    assert row is not None
    cell = re.search(r'<td class="col-path">(.*?)</td>', row.group(0), re.S)
    assert cell is not None
    shown = re.findall(r'<span class="path">(.*?)</span>', cell.group(1))
    assert [text.replace("<wbr>", "") for text in shown] == [
        "/content/dam/b",
        "/content/dam/a/t00000.dita",
    ]


def test_a_row_read_as_running_keeps_the_table_polling_when_its_run_ends_meanwhile(
    runner_client, running, monkeypatch
):
    """The run is cancelled between reading the rows and asking whether any runs.

    The answer shows it as running, so it must not be the stop-polling one: the table would stay
    on "Cancelling" for good.
    """
    from guides_processor import selectors

    read_page = selectors.executions_page

    def page_then_the_run_ends(**query):
        page = read_page(**query)
        Execution.objects.filter(pk=running.pk).update(status=ExecutionStatus.CANCELLED)
        return page

    monkeypatch.setattr(selectors, "executions_page", page_then_the_run_ends)

    fragment = runner_client.get(EXECUTIONS, **HTMX)

    assert 'data-status="IN_PROGRESS"' in fragment.content.decode()
    assert fragment.status_code == 200
    assert "every 2s" in fragment.content.decode()


def test_a_retry_and_a_catch_up_say_in_their_row_what_they_process(runner_client):
    Execution.objects.create(path="/content/dam/a", paths=["/content/dam/a"], created_by="t")
    Execution.objects.create(
        path="/content/dam/b", paths=["/content/dam/b"], created_by="t", retry_failed=True
    )
    Execution.objects.create(
        path="/content/dam/c", paths=["/content/dam/c"], created_by="system", listed_files=True
    )

    html = runner_client.get(EXECUTIONS).content.decode()
    rows = dict(zip(ids_on(html), html.split('class="execution-row"')[1:], strict=True))
    kinds = {
        execution.path: re.findall(
            r'class="muted row-kind">([^<]*)<', rows[str(execution.processing_id)]
        )
        for execution in Execution.objects.all()
    }
    assert kinds == {
        "/content/dam/a": [],
        "/content/dam/b": ["Retry of the failed assets"],
        "/content/dam/c": ["A list of files (catch-up)"],
    }
