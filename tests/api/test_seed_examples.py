"""The product page's examples, verbatim: what it sends is accepted, what it shows returned."""

import json
import re
from typing import Any

import pytest

from tests.conftest import PROJECT

from . import seed_examples as seed
from .conftest import BASE

pytestmark = pytest.mark.django_db

SEED = PROJECT.parent / "shared" / "seeds" / seed.SEED_PAGE


def lenient(text: str) -> Any:
    """The page's example as data, forgiving the trailing comma of its start response."""
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", text))


def json_kind(value: Any) -> str:
    return {
        bool: "boolean",
        int: "number",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
        type(None): "null",
    }[type(value)]


def assert_has_shape_of(actual: Any, example: Any, where: str = "response") -> None:
    """Every key of the example is in ``actual``, recursively, holding the same JSON kind."""
    if isinstance(example, dict):
        assert isinstance(actual, dict), f"{where} is not an object"
        for key, value in example.items():
            assert key in actual, f"{where} lacks {key!r}"
            assert_has_shape_of(actual[key], value, f"{where}.{key}")
    elif isinstance(example, list):
        assert isinstance(actual, list), f"{where} is not an array"
        for item in actual[:3]:
            if example:
                assert_has_shape_of(item, example[0], f"{where}[]")
    else:
        assert json_kind(actual) == json_kind(example), (
            f"{where} is {actual!r}, not like {example!r}"
        )


def test_the_fixtures_are_the_seed_pages_examples_verbatim():
    if not SEED.is_file():
        pytest.skip(f"the seed page is not at {SEED}")
    blocks = re.findall(r"```JSON\n(.*?)```", SEED.read_text(encoding="utf-8"), re.S)
    assert blocks == seed.EXAMPLES


def test_the_seed_start_request_is_valid_json_and_starts_an_execution(api, post_json, write_tree):
    write_tree(
        {
            "status-fetch1/excluded-folder/a.dita": "<topic id='a'><title>A</title></topic>",
            "status-fetch1/b.md": "# B\n",
        }
    )

    response = post_json(api, BASE, seed.START_REQUEST)

    assert response.status_code == 200, response.content
    assert_has_shape_of(response.json(), lenient(seed.START_RESPONSE))
    status = api.get(f"{BASE}/status", {"processingId": response.json()["processingId"]}).json()
    assert status["path"] == "/content/dam/status-fetch1"
    assert status["excludedPaths"] == ["/content/dam/status-fetch1/excluded-folder"]


def test_the_seed_start_request_with_its_comma_dropped_is_refused_saying_where(api, post_json):
    broken = seed.START_REQUEST.replace(
        '"/content/dam/status-fetch1",', '"/content/dam/status-fetch1"'
    )

    response = post_json(api, BASE, broken)

    assert response.status_code == 400
    assert response.json() == {
        "error": "MALFORMED_JSON",
        "message": "The request body is not valid JSON: Expecting ',' delimiter at line 7, "
        "column 5.",
    }


def test_the_seed_start_response_has_a_trailing_comma_which_a_request_may_not(api, post_json):
    with pytest.raises(json.JSONDecodeError):
        json.loads(seed.START_RESPONSE)

    response = post_json(api, BASE, seed.START_RESPONSE)

    assert response.status_code == 400
    assert response.json()["error"] == "MALFORMED_JSON"
    assert "at line 6, column 1" in response.json()["message"]


def test_a_status_has_every_field_of_the_seed_example(api, finished):
    execution = finished()

    response = api.get(f"{BASE}/status", {"processingId": str(execution.processing_id)})

    assert response.status_code == 200
    assert_has_shape_of(response.json(), json.loads(seed.STATUS_RESPONSE))
    assert response.json()["eta"]["unit"] == "SECONDS"


def test_a_logs_page_has_every_field_of_the_seed_example(api, finished):
    execution = finished()

    response = api.get(f"{BASE}/logs", {"processingId": str(execution.processing_id)})

    assert response.status_code == 200
    assert_has_shape_of(response.json(), json.loads(seed.LOGS_RESPONSE))


def test_the_history_has_every_field_of_the_seed_example(api, finished):
    finished()

    response = api.get(f"{BASE}/history")

    assert response.status_code == 200
    assert response.json()["executionHistory"]
    assert_has_shape_of(response.json(), json.loads(seed.HISTORY_RESPONSE))


def test_the_status_example_and_a_history_item_are_one_object(api, finished):
    execution = finished()

    item = api.get(f"{BASE}/history").json()["executionHistory"][0]
    status = api.get(f"{BASE}/status", {"processingId": str(execution.processing_id)}).json()

    assert item == status
