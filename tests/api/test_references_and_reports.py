"""GET /assets/references (Uses, Used in) and GET /reports/broken-links (JSON, CSV, JUnit)."""

import csv
import io
from xml.etree import ElementTree

import pytest

from guides_processor import executions
from guides_processor.models import Execution, Reference, UsedIn
from tests.engine.trees import guide, topic
from tests.views.test_assets import maps_and_topics_with_verdicts

from .conftest import basic_client

REFERENCES = "/bin/guides/v1/assets/references"
REPORT = "/bin/guides/v1/reports/broken-links"


def run(path: str) -> Execution:
    execution = executions.execution_create(path=path, created_by="admin")
    return executions.execution_run_inline(processing_id=execution.processing_id)


@pytest.fixture
def processed(write_tree, db):
    root = write_tree(guide())
    write_tree({"guide/more/page.md": "# Page\n\n[gone](gone.md) ![pic](pic.png)\n"})
    run("/content/dam/guide")
    return root


def references(client, path, direction, **params):
    response = client.get(REFERENCES, {"path": path, "direction": direction, **params})
    assert response.status_code == 200, response.content
    return response.json()


def test_used_in_lists_file_and_key_references_to_the_asset(api, processed):
    body = references(api, "/content/dam/guide/topics/setup.dita", "incoming")
    found = {(ref["source"], ref["attribute"], ref["key"]) for ref in body["references"]}
    intro = "/content/dam/guide/topics/intro.dita"
    # The xref by key resolves to setup.dita through the map; the xref by href names it.
    assert (intro, "keyref", "setup") in found
    assert (intro, "href", "") in found
    assert ("/content/dam/guide/guide.ditamap", "href", "") in found
    setup = "/content/dam/guide/topics/setup.dita"
    assert all(ref["target"] == setup for ref in body["references"])
    assert body["hasMore"] is False and body["direction"] == "incoming"


def test_uses_lists_the_assets_own_references(api, processed):
    body = references(api, "/content/dam/guide/topics/setup.dita", "outgoing")
    by_value = {ref["value"]: ref for ref in body["references"]}
    assert by_value["missing.dita"]["broken"] is True
    assert by_value["missing.dita"]["reason"]
    assert by_value["../images/logo.png"]["target"] == "/content/dam/guide/images/logo.png"
    assert by_value["../images/logo.png"]["broken"] is False
    assert set(by_value["missing.dita"]) >= {
        "source", "target", "attribute", "linkType", "scope", "key", "broken", "reason", "line",
    }  # fmt: skip


def test_used_in_pages_by_cursor_with_many_sources(api, write_tree, db):
    write_tree(
        {
            **{
                f"lib/t{index:03d}.dita": topic(f"t{index}", "T", '<xref href="target.dita"/>')
                for index in range(12)
            },
            "lib/target.dita": topic("target", "Target"),
        }
    )
    run("/content/dam/lib")
    seen, after = [], None
    while True:
        params = {"limit": 5, **({"after": after} if after else {})}
        body = references(api, "/content/dam/lib/target.dita", "incoming", **params)
        assert len(body["references"]) <= 5
        seen += [ref["source"] for ref in body["references"]]
        if not body["hasMore"]:
            break
        after = body["next"]
    assert sorted(seen) == [f"/content/dam/lib/t{index:03d}.dita" for index in range(12)]
    assert len(set(seen)) == 12
    body = references(api, "/content/dam/lib/target.dita", "incoming", offset=10)
    assert len(body["references"]) == 2


def test_used_in_follows_reprocessing_and_deletion(api, write_tree, processed):
    # The image is used by setup.dita; once that no longer names it, it is used nowhere.
    assert references(api, "/content/dam/guide/images/logo.png", "incoming")["references"]
    write_tree({"guide/topics/setup.dita": topic("setup", "Setting up", "No image now.")})
    run("/content/dam/guide")
    assert references(api, "/content/dam/guide/images/logo.png", "incoming")["references"] == []
    # The index holds exactly the live references that name a file: nothing stale is left.
    assert set(UsedIn.objects.values_list("reference_id", "target")) == set(
        Reference.objects.exclude(target="").values_list("id", "target")
    )


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"path": "/content/dam/guide/nothing.dita", "direction": "incoming"}, 404, None),
        ({"path": "/content/dam/guide/guide.ditamap", "direction": "sideways"}, 400, "direction"),
        ({"path": "/etc/passwd", "direction": "incoming"}, 400, "path"),
        ({"path": "/content/dam", "direction": "incoming"}, 400, "path"),
        ({"path": "/content/dam/guide/guide.ditamap", "direction": "incoming", "after": "x"}, 400,
         "after"),
    ],
)  # fmt: skip
def test_bad_reference_requests_are_4xx_in_the_error_shape(api, processed, params, status, field):
    response = api.get(REFERENCES, params)
    assert response.status_code == status
    assert set(response.json()) >= {"error", "message"}
    assert response.json().get("field") == field


def test_the_report_as_json_pages_through_every_broken_link(api, processed):
    first = api.get(REPORT, {"path": "/content/dam/guide", "limit": 2}).json()
    total = first["total"]
    assert total >= 4 and len(first["links"]) == 2 and first["hasMore"] is True
    seen = list(first["links"])
    after = first["next"]
    while after:
        body = api.get(REPORT, {"path": "/content/dam/guide", "limit": 2, "after": after}).json()
        seen += body["links"]
        after = body["next"]
    assert len(seen) == total
    assert [link["source"] for link in seen] == sorted(link["source"] for link in seen)
    images = api.get(REPORT, {"path": "/content/dam/guide", "linkType": "image"}).json()
    assert images["total"] == 1 and images["links"][0]["value"] == "pic.png"


def test_the_report_as_csv_streams_every_row(api, processed):
    response = api.get(REPORT, {"path": "/content/dam/guide", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    total = api.get(REPORT, {"path": "/content/dam/guide"}).json()["total"]
    assert rows[0][:3] == ["source", "value", "target"]
    assert len(rows) == 1 + total


def test_the_report_as_junit_has_a_failed_testcase_per_link(api, processed):
    response = api.get(REPORT, {"path": "/content/dam/guide", "format": "junit"})
    assert response.status_code == 200
    root = ElementTree.fromstring(b"".join(response.streaming_content))
    assert root.tag == "testsuites"
    cases = root.findall("testsuite/testcase")
    links = api.get(REPORT, {"path": "/content/dam/guide", "limit": 500}).json()["links"]
    assert len(links) > 1
    assert sorted(case.get("file", "") for case in cases) == sorted(
        link["source"] for link in links
    )
    assert [len(case.findall("failure")) for case in cases] == [1] * len(links)
    for suite in root.findall("testsuite"):
        # JUnit counts failed testcases: tests and failures agree.
        assert int(suite.get("tests", "")) == int(suite.get("failures", ""))
        assert int(suite.get("tests", "")) == len(suite.findall("testcase"))


@pytest.mark.parametrize(
    "params",
    [
        {"path": "/tmp"},
        {"linkType": "NOPE"},
        {"format": "pdf"},
        {"after": "garbage"},
        {"limit": 0},
    ],
)
def test_bad_report_requests_are_400_in_the_error_shape(api, db, params):
    response = api.get(REPORT, params)
    assert response.status_code == 400
    assert response.json()["error"] == "INVALID_INPUT"


def test_reading_needs_read_access(staff, outsider, processed):
    assert basic_client(staff).get(REPORT).status_code == 200
    response = basic_client(outsider).get(REPORT)
    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"


def test_the_report_total_is_counted_on_the_first_page_only(api, processed):
    first = api.get(REPORT, {"path": "/content/dam/guide", "limit": 2}).json()
    assert first["total"] >= 4 and first["next"]
    second = api.get(REPORT, {"path": "/content/dam/guide", "limit": 2, "after": first["next"]})
    assert second.status_code == 200
    assert second.json()["total"] is None and len(second.json()["links"]) == 2


def test_a_csv_cell_that_a_spreadsheet_would_run_as_a_formula_is_text(api, write_tree, db):
    links = "".join(
        f'<p><xref href="{href}"/></p>'
        for href in ("=HYPERLINK(&quot;http://evil&quot;)", "+1", "@x")
    )
    write_tree({"f/t.dita": topic("t", "Formulas", links)})
    run("/content/dam/f")

    response = api.get(REPORT, {"path": "/content/dam/f", "format": "csv"})

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    values = sorted(row[1] for row in rows[1:])
    assert values == ["'+1", '\'=HYPERLINK("http://evil")', "'@x"]
    assert {row[0] for row in rows[1:]} == {"/content/dam/f/t.dita"}  # other cells as they are


def test_the_references_api_gives_warnings_and_what_they_concern(api, write_tree, db):
    maps_and_topics_with_verdicts(write_tree)

    body = api.get(
        "/bin/guides/v1/assets/references",
        {"path": "/content/dam/doc/shared.dita", "direction": "outgoing"},
    ).json()

    by_value = {ref["value"]: ref for ref in body["references"]}
    assert (by_value["only-a"]["warning"], by_value["only-a"]["note"]) == (
        "KEY_UNDEFINED_IN_SOME_MAPS",
        "/content/dam/doc/b.ditamap",
    )
    missing = by_value["one.dita#one/missing"]
    assert (missing["broken"], missing["reason"], missing["warning"]) == (
        True,
        "ELEMENT_MISSING",
        "",
    )


def test_references_of_a_folder_are_a_400_saying_it_is_a_folder(api, processed):
    response = api.get(REFERENCES, {"path": "/content/dam/guide/topics", "direction": "outgoing"})

    assert response.status_code == 400
    assert response.json()["field"] == "path"
    assert "is a folder; references are listed for a file" in response.json()["message"]
