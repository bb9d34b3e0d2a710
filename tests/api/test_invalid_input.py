"""A request the API cannot act on is a 400 naming what is wrong, in the one error shape."""

import pytest

from .conftest import BASE

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def tree(write_tree, content_root):
    write_tree({"docs/a.dita": "<topic id='a'><title>A</title></topic>", "other/b.md": "# B\n"})
    (content_root / "docs" / "link").symlink_to(content_root / "other")


def start_body(**fields):
    return {"path": "/content/dam/docs", "type": "ASSET_PROCESSING", **fields}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        pytest.param({"type": "ASSET_PROCESSING"}, "path", "path is required", id="no path"),
        pytest.param({"path": "/content/dam/docs"}, "type", "type is required", id="no type"),
        pytest.param(start_body(type="REINDEX"), "type", "ASSET_PROCESSING", id="unknown type"),
        pytest.param(start_body(path=42), "path", "valid string", id="path not a string"),
        pytest.param(start_body(path="/etc/passwd"), "path", "outside /content/dam", id="outside"),
        pytest.param(start_body(path="/content/dam/docs/../other"), "path", "'..'", id="dot-dot"),
        pytest.param(
            start_body(path="/content/dam/docs/.hidden"), "path", "hidden name", id="hidden"
        ),
        pytest.param(
            start_body(path="/content/dam/missing"), "path", "does not exist", id="missing"
        ),
        pytest.param(
            start_body(path="/content/dam/docs/a.dita/b"), "path", "not a folder", id="in a file"
        ),
        pytest.param(
            start_body(path="/content/dam/docs/link"), "path", "symbolic link", id="symlink"
        ),
        pytest.param(start_body(path=""), "path", "must not be empty", id="empty path"),
        pytest.param(
            start_body(excludedPaths=["content/dam/other"]),
            "excludedPaths[0]",
            "not a folder inside",
            id="excluded outside path",
        ),
        pytest.param(
            start_body(excludedPaths=["/content/dam/docs"]),
            "excludedPaths[0]",
            "not a folder inside",
            id="excluded is path",
        ),
        pytest.param(
            start_body(excludedPaths=["/content/dam/docs/../docs/x"]),
            "excludedPaths[0]",
            "'..'",
            id="excluded dot-dot",
        ),
        pytest.param(
            start_body(excludedPaths=[1]),
            "excludedPaths[0]",
            "valid string",
            id="excluded number",
        ),
        pytest.param(
            start_body(filter={"fileTypes": ["ZIP"]}),
            "filter.fileTypes",
            "not an asset type",
            id="unknown file type",
        ),
        pytest.param(
            start_body(filter={"startTime": "yesterday"}),
            "filter.startTime",
            "valid integer",
            id="time not a number",
        ),
        pytest.param(
            start_body(filter={"startTime": 2_000_000_000_000, "endTime": 1_000_000_000_000}),
            "filter.startTime",
            "later than",
            id="start after end",
        ),
        pytest.param(
            start_body(filter={"startTime": 10**30}),
            "filter.startTime",
            "not a valid time",
            id="time out of range",
        ),
        pytest.param(
            start_body(filter=[]), "filter", "valid dictionary", id="filter not an object"
        ),
        pytest.param([start_body()], "", "must be an object", id="body an array"),
        # A misspelt field is refused: ignored, the folders it meant to leave out were processed.
        pytest.param(
            start_body(excludePaths=["/content/dam/docs/x"]),
            "excludePaths",
            "excludePaths in the JSON body is not a field of this request",
            id="misspelt excludedPaths",
        ),
        pytest.param(
            start_body(filter={"fileTypez": ["DITAMAP"]}),
            "filter.fileTypez",
            "not a field of this request",
            id="misspelt filter field",
        ),
        pytest.param(
            start_body(notify={"url": "https://example.org/hook", "secret": "s"}),
            "notify.secret",
            "not a field of this request",
            id="unknown notify field",
        ),
        # path is optional (paths may stand for it): type is the first field a null body lacks.
        pytest.param("null", "type", "type is required", id="body null"),
    ],
)
def test_a_start_request_that_is_not_acceptable_is_a_400_naming_the_field(
    api, post_json, body, field, words
):
    response = post_json(api, BASE, body)

    assert response.status_code == 400, response.content
    error = response.json()
    assert error["error"] == "INVALID_INPUT"
    assert words in error["message"]
    assert error.get("field", "") == field


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("{", id="cut short"),
        pytest.param(
            '{"path": "/content/dam/docs", "type": "ASSET_PROCESSING",}', id="trailing comma"
        ),
        pytest.param("path=/content/dam/docs&type=ASSET_PROCESSING", id="a form"),
    ],
)
def test_a_body_that_is_not_json_is_a_400_saying_where(api, post_json, body):
    response = post_json(api, BASE, body)

    assert response.status_code == 400
    assert response.json()["error"] == "MALFORMED_JSON"
    assert "at line 1, column" in response.json()["message"]


def test_a_body_that_is_not_utf8_is_a_400(api, post_json):
    response = post_json(api, BASE, b'{"path": "/content/dam/\xff", "type": "ASSET_PROCESSING"}')

    assert response.status_code == 400
    assert response.json()["error"] == "MALFORMED_JSON"


def test_an_empty_body_is_a_400_asking_for_one(api, post_json):
    response = post_json(api, BASE, "")

    assert response.status_code == 400
    assert response.json()["message"] == "The request needs the JSON body; it is empty."


@pytest.mark.parametrize(
    ("query", "field"),
    [
        pytest.param({"limit": "many"}, "limit", id="limit not a number"),
        pytest.param({"limit": "0"}, "limit", id="limit zero"),
        pytest.param({"offset": "-1"}, "offset", id="negative offset"),
        pytest.param({"offset": str(2**64)}, "offset", id="offset beyond any log"),
        pytest.param({"tail": "1.5"}, "tail", id="tail not whole"),
        pytest.param({"tail": "10", "offset": "0"}, "tail", id="tail with offset"),
        pytest.param({"tail": "10", "limit": "10"}, "tail", id="tail with limit"),
    ],
)
def test_log_paging_that_makes_no_sense_is_a_400_naming_the_parameter(api, finished, query, field):
    execution = finished()

    response = api.get(f"{BASE}/logs", {"processingId": str(execution.processing_id), **query})

    assert response.status_code == 400
    assert response.json()["error"] == "INVALID_INPUT"
    assert response.json()["field"] == field
    assert field in response.json()["message"]


def test_a_status_without_a_processing_id_is_a_400(api):
    response = api.get(f"{BASE}/status")

    assert response.status_code == 400
    assert response.json() == {
        "error": "INVALID_INPUT",
        "message": "processingId is required in the query string.",
        "field": "processingId",
    }


def test_a_history_limit_below_one_is_a_400(api):
    response = api.get(f"{BASE}/history", {"limit": "0"})

    assert response.status_code == 400
    assert response.json()["field"] == "limit"


def test_a_host_the_server_does_not_answer_for_is_a_json_400_under_the_api(api, client):
    response = api.get("/bin/guides/v1/assets/process/history", HTTP_HOST="evil.example")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"] == "INVALID_INPUT"
    assert "DJANGO_ALLOWED_HOSTS" in response.json()["message"]
    # The console's pages keep their own page.
    page = client.get("/tools/guides/", HTTP_HOST="evil.example")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
