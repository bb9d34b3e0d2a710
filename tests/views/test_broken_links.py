"""The broken-links report: counts by link type, file type and reason, filters, pages, CSV."""

import csv
import io

import pytest
from django.urls import reverse

from guides_processor import executions
from guides_processor.models import Execution, Reference
from guides_processor.selectors import broken_links as report
from tests.engine.trees import guide, topic

from .conftest import HTMX

pytestmark = pytest.mark.django_db

REPORT = "guides_processor:broken_links"
CSV = "guides_processor:broken_links_csv"


def run(path: str) -> Execution:
    execution = executions.execution_create(path=path, created_by="operator")
    return executions.execution_run_inline(processing_id=execution.processing_id)


@pytest.fixture
def processed(write_tree) -> Execution:
    """The guide tree, plus a Markdown page and a topic whose links break in other ways."""
    write_tree(guide())
    write_tree(
        {
            "guide/more/page.md": "# Page\n\n[gone](gone.md) ![pic](pic.png)\n",
            "guide/more/odd.dita": topic(
                "odd", "Odd", '<xref href="../../../outside.dita"/> <xref href="#odd/none"/>'
            ),
            "other/x.dita": topic("x", "X", '<xref href="nothing.dita"/>'),
        }
    )
    run("/content/dam/other")
    return run("/content/dam/guide")


def table_rows(html: str) -> list[str]:
    body = html.split('id="broken-links-table"')[1].split("<tbody>")[1].split("</tbody>")[0]
    return [row for row in body.split("<tr>")[1:] if "empty-row" not in row]


def facet(html: str, name: str) -> dict[str, int]:
    """value -> count of one facet's checkboxes."""
    part = html.split(f'id="facet-{name}"')[1].split("</fieldset>")[0]
    counts = {}
    for label in part.split('value="')[1:]:
        value = label.split('"', 1)[0]
        counts[value] = int(label.split('<span class="count-pill">')[1].split("<")[0])
    return counts


def test_the_report_counts_and_lists_every_broken_link_below_the_folder(runner_client, processed):
    html = runner_client.get(reverse(REPORT), {"folder": "/content/dam/guide"}).content.decode()

    broken = Reference.objects.filter(broken=True, asset__relpath__startswith="guide/")
    assert broken.count() >= 5
    assert f'<span id="broken-total">{broken.count()}</span>' in html
    rows = table_rows(html)
    assert len(rows) == broken.count()
    assert all("/content/dam/other" not in row for row in rows)
    # Ordered by source path; each links to its source's asset page.
    sources = [row.split("?path=")[1].split('"')[0] for row in rows]
    assert sources == sorted(sources)
    assert reverse("guides_processor:asset_detail") + "?path=/content/dam/guide/" in rows[0]

    reasons = facet(html, "reason")
    assert reasons["KEY_UNDEFINED"] == broken.exclude(key="").count() == 1
    assert reasons["OUTSIDE_ROOT"] == 1 and reasons["ELEMENT_MISSING"] == 1
    assert reasons["FILE_MISSING"] == broken.count() - 3
    files = facet(html, "file-type")
    assert files["topic"] == broken.filter(asset__asset_type="DITATOPIC").count()
    assert files["document"] == broken.filter(asset__asset_type="MARKDOWN").count() >= 1
    links = facet(html, "link-type")
    assert sum(links.values()) == broken.count()
    assert links["key"] == 1


@pytest.mark.parametrize(
    ("filters", "check"),
    [
        ({"reason": "KEY_UNDEFINED"}, lambda ref: ref.key == "nowhere"),
        ({"file_type": "document"}, lambda ref: ref.asset.asset_type == "MARKDOWN"),
        ({"link_type": "image"}, lambda ref: ref.link_type == "image"),
    ],
)
def test_filters_narrow_the_rows_and_the_other_facets(runner_client, processed, filters, check):
    response = runner_client.get(
        reverse(REPORT), {"folder": "/content/dam/guide", **filters}, **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="broken-links"')
    expected = [
        ref
        for ref in Reference.objects.filter(broken=True, asset__relpath__startswith="guide/")
        if check(ref)
    ]
    assert expected
    assert len(table_rows(html)) == len(expected)
    assert f'<span id="broken-total">{len(expected)}</span>' in html


def test_pages_follow_the_source_path_and_id(processed):
    flt = report.BrokenLinksFilter(folder="/content/dam/guide")
    everything = [link.id for link in report.broken_links_all(flt=flt)]
    seen: list[int] = []
    after = None
    while True:
        page = report.broken_links_page(flt=flt, after=after, limit=2)
        seen += [link.id for link in page.links]
        assert page.as_json()["hasMore"] == (page.next_cursor is not None)
        if not page.has_more:
            break
        after = page.next_cursor
    assert seen == everything and len(seen) == len(set(seen)) >= 5


def test_the_json_shape_of_a_page(processed):
    page = report.broken_links_page(
        flt=report.BrokenLinksFilter(folder="/content/dam/guide", reasons=("KEY_UNDEFINED",))
    )
    assert page.as_json() == {
        "path": "/content/dam/guide",
        "total": 1,
        "links": [
            {
                "source": "/content/dam/guide/topics/faq.dita",
                "value": "nowhere",
                "target": "",
                "linkType": "key",
                "fileType": "topic",
                "reason": "KEY_UNDEFINED",
                "line": page.links[0].line,
                "usedBy": 0,
            }
        ],
        "hasMore": False,
    }
    assert page.links[0].line


def test_used_by_counts_references_to_the_source(processed):
    page = report.broken_links_page(
        flt=report.BrokenLinksFilter(folder="/content/dam/guide/topics", reasons=("FILE_MISSING",))
    )
    setup = next(link for link in page.links if link.source.endswith("setup.dita"))
    # The map's keydef and topicref, intro's xref and its keyref (resolved to the file) name it.
    assert setup.used_by == Reference.objects.filter(target="guide/topics/setup.dita").count() == 4


def test_the_csv_has_a_header_and_one_row_per_broken_reference(runner_client, processed, settings):
    response = runner_client.get(reverse(CSV), {"folder": "/content/dam/guide"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="broken-links-guide.csv"' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [
        "source",
        "value",
        "target",
        "linkType",
        "fileType",
        "reason",
        "line",
        "usedBy",
    ]
    broken = Reference.objects.filter(broken=True, asset__relpath__startswith="guide/")
    assert len(rows) - 1 == broken.count()
    assert {row[0] for row in rows[1:]} == {f"/content/dam/{ref.asset.relpath}" for ref in broken}


def test_the_csv_reads_in_bounded_chunks(processed):
    flt = report.BrokenLinksFilter(folder="/content/dam")
    assert [link.id for link in report.broken_links_all(flt=flt, chunk=2)] == [
        link.id for link in report.broken_links_all(flt=flt)
    ]


def test_bad_parameters_are_400(runner_client, processed):
    for params in (
        {"reason": "LOST"},
        {"link_type": "telepathy"},
        {"folder": "/content/dam/../x"},
        {"after": "3"},
    ):
        assert runner_client.get(reverse(REPORT), params).status_code == 400, params
    assert runner_client.get(reverse(CSV), {"file_type": "x"}).status_code == 400


def test_a_folder_outside_the_repository_is_refused_and_a_relative_one_is_below_it(
    runner_client, processed
):
    for view in (REPORT, CSV):
        outside = runner_client.get(reverse(view), {"folder": "/etc"})
        assert outside.status_code == 400
        assert "is outside /content/dam" in outside.content.decode()
    relative = runner_client.get(reverse(REPORT), {"folder": "guide"})
    assert relative.status_code == 200
    assert "/content/dam/guide" in relative.content.decode()


def test_the_execution_detail_page_links_to_the_report_of_its_folder(runner_client, processed):
    html = runner_client.get(
        reverse("guides_processor:execution_detail", args=[processed.processing_id])
    ).content.decode()
    assert f'{reverse(REPORT)}?folder=/content/dam/guide"' in html


def test_readers_may_see_the_report(reader_client, outsider, client, processed):
    assert reader_client.get(reverse(REPORT)).status_code == 200
    client.force_login(outsider)
    assert client.get(reverse(REPORT)).status_code == 403


def test_a_deleted_asset_leaves_the_report_and_stays_on_the_assets_page(
    runner_client, processed, settings
):
    (settings.GUIDES_CONTENT_ROOT / "guide/topics/faq.dita").unlink()
    run("/content/dam/guide")  # marks faq.dita deleted

    html = runner_client.get(reverse(REPORT), {"folder": "/content/dam/guide"}).content.decode()
    assert "faq.dita" not in html and "nowhere" not in html
    assert facet(html, "reason")["KEY_UNDEFINED"] == 0
    listing = runner_client.get(
        reverse("guides_processor:assets"), {"folder": "/content/dam/guide/topics"}
    ).content.decode()
    assert 'data-name="faq.dita" data-status="DELETED"' in listing
    # Its own page counts the broken links it lists, and says why the report leaves them out.
    page = runner_client.get(
        reverse("guides_processor:asset_detail"), {"path": "/content/dam/guide/topics/faq.dita"}
    ).content.decode()
    listed = page.split('id="broken-title"')[1].split("</section>")[0]
    rows = listed.count("<tr") - 1  # the header row
    assert rows > 0 and f'<span class="count-pill">{rows}</span>' in listed
    assert 'id="broken-deleted-note"' in listed
    # Its file is gone: only its folder can be reprocessed.
    assert 'id="reprocess-asset"' not in page and 'id="reprocess-folder"' in page


def test_a_page_after_a_cursor_costs_its_rows_not_the_report(processed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    flt = report.BrokenLinksFilter(folder="/content/dam/guide")
    first = report.broken_links_page(flt=flt, limit=2)
    assert first.total == len(list(report.broken_links_all(flt=flt))) and first.by_reason
    assert first.next_cursor is not None
    with CaptureQueriesContext(connection) as queries:
        second = report.broken_links_page(flt=flt, after=first.next_cursor, limit=2)
    # The rows and their used-by counts only: no COUNT over the whole report.
    assert len(queries) == 2, [query["sql"] for query in queries]
    assert second.links and second.total is None and not second.by_reason
    assert second.as_json()["total"] is None


def test_a_later_console_page_leaves_the_counts_to_the_first(runner_client, processed):
    flt = report.BrokenLinksFilter(folder="/content/dam/guide")
    first = report.broken_links_page(flt=flt, limit=2)
    assert first.next_cursor is not None
    relpath, pk = first.next_cursor
    html = runner_client.get(
        reverse(REPORT),
        {"folder": "/content/dam/guide", "after_path": f"/content/dam/{relpath}", "after": pk},
        **HTMX,
    ).content.decode()
    assert table_rows(html) and "broken-total" not in html and "count-pill" not in html
    assert "Broken links, continued" in html


def test_a_folder_that_does_not_exist_is_a_404_in_words_a_toast_for_the_folder_field(
    runner_client, processed
):
    import json

    page = runner_client.get(reverse(REPORT), {"folder": "/content/dam/guid"})
    assert page.status_code == 404
    assert "/content/dam/guid does not exist." in page.content.decode()

    applied = runner_client.get(reverse(REPORT), {"folder": "/content/dam/guid"}, **HTMX)
    assert applied.status_code == 404
    toast = json.loads(applied["HX-Trigger"])["toast"]
    assert (toast["level"], toast["message"]) == ("error", "/content/dam/guid does not exist.")
    csv_answer = runner_client.get(
        reverse("guides_processor:broken_links_csv"), {"folder": "/content/dam/guid"}
    )
    assert csv_answer.status_code == 404
