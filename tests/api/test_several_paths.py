"""A start request with ``paths``: several folders or files in one execution, through the API."""

import pytest

from guides_processor import executions
from tests.engine.trees import many

from .conftest import BASE

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(write_tree):
    return write_tree({**many(2, "a"), **many(3, "b"), **many(1, "c")})


def test_paths_are_queued_and_shown_in_the_status_object_and_the_history(api, post_json, tree):
    response = post_json(
        api,
        BASE,
        {"paths": ["/content/dam/b", "content/dam/a/t00001.dita"], "type": "ASSET_PROCESSING"},
    )
    assert response.status_code == 200, response.content
    processing_id = response.json()["processingId"]

    status = api.get(f"{BASE}/status?processingId={processing_id}").json()
    assert status["path"] == "/content/dam/b"
    assert status["paths"] == ["/content/dam/b", "/content/dam/a/t00001.dita"]

    finished = executions.execution_run_inline(processing_id=processing_id)
    assert finished.total_files == 4
    (item,) = api.get(f"{BASE}/history").json()["executionHistory"]
    assert item["paths"] == ["/content/dam/b", "/content/dam/a/t00001.dita"]
    assert item["migrationSet"]["totalFiles"] == 4


def test_a_seed_request_has_its_one_path_in_paths(api, post_json, tree):
    response = post_json(api, BASE, {"path": "/content/dam/c", "type": "ASSET_PROCESSING"})
    processing_id = response.json()["processingId"]

    status = api.get(f"{BASE}/status?processingId={processing_id}").json()

    assert (status["path"], status["paths"]) == ("/content/dam/c", ["/content/dam/c"])


def test_paths_inside_each_other_are_a_400_naming_the_field(api, post_json, tree):
    response = post_json(
        api,
        BASE,
        {
            "path": "/content/dam/c",
            "paths": ["/content/dam/a/t00000.dita", "/content/dam/a"],
            "type": "ASSET_PROCESSING",
        },
    )

    assert response.status_code == 400
    assert response.json()["error"] == "INVALID_INPUT"
    assert response.json()["field"] == "paths[1]"
    assert "overlaps /content/dam/a/t00000.dita" in response.json()["message"]


def test_a_path_of_paths_that_does_not_exist_is_a_400_naming_it(api, post_json, tree):
    response = post_json(
        api, BASE, {"paths": ["/content/dam/a", "/content/dam/gone"], "type": "ASSET_PROCESSING"}
    )

    assert response.status_code == 400
    assert response.json()["field"] == "paths[1]"


def test_a_path_of_paths_overlapping_an_active_execution_is_a_409_naming_it(api, post_json, tree):
    active = executions.execution_create(path="/content/dam/a", created_by="admin")

    response = post_json(
        api,
        BASE,
        {"paths": ["/content/dam/c", "/content/dam/a/t00000.dita"], "type": "ASSET_PROCESSING"},
    )

    assert response.status_code == 409
    assert str(active.processing_id) in response.json()["message"]


def test_neither_path_nor_paths_is_a_400_on_path(api, post_json, tree):
    response = post_json(api, BASE, {"paths": [], "type": "ASSET_PROCESSING"})

    assert response.status_code == 400
    assert response.json()["field"] == "path"


def test_a_dry_run_of_paths_counts_them_all(api, post_json, tree):
    response = post_json(
        api,
        BASE,
        {"paths": ["/content/dam/b", "/content/dam/a"], "type": "ASSET_PROCESSING", "dryRun": True},
    )

    assert response.status_code == 200, response.content
    assert response.json()["totalFiles"] == 5
    assert response.json()["paths"] == ["/content/dam/b", "/content/dam/a"]


@pytest.mark.parametrize("field", ["paths", "excludedPaths"])
def test_more_than_ten_thousand_paths_are_a_400_saying_how_many_are_taken(
    api, post_json, tree, field
):
    given = [f"/content/dam/a/t{index:05d}.dita" for index in range(10_001)]
    body = {field: given, "type": "ASSET_PROCESSING"}
    if field == "excludedPaths":
        body["path"] = "/content/dam/a"

    response = post_json(api, BASE, body)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert "10,001" in response.json()["message"]
    assert "at most 10,000" in response.json()["message"]


def test_many_files_given_one_by_one_make_one_execution(api, post_json, write_tree):
    write_tree(many(3_000, "big"))
    given = [f"/content/dam/big/t{index:05d}.dita" for index in range(3_000)]

    response = post_json(api, BASE, {"paths": given, "type": "ASSET_PROCESSING"})

    assert response.status_code == 200, response.content
    processing_id = response.json()["processingId"]
    # A second execution on one of those files overlaps the first, which waits.
    again = post_json(api, BASE, {"paths": [given[-1]], "type": "ASSET_PROCESSING"})
    assert again.status_code == 409
    assert processing_id in again.json()["message"]
    finished = executions.execution_run_inline(processing_id=processing_id)
    assert (finished.status, finished.total_files) == ("SUCCESS", 3_000)
