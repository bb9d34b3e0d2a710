"""Too large a body, a lone surrogate, paging out of range: a 4xx naming the fault, never a 500."""

import logging

import pytest

from .conftest import BASE

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("megabytes", [3, 10])
def test_a_body_over_the_upload_limit_is_a_413_without_a_traceback(api, caplog, megabytes):
    body = b'{"path": "/content/dam/' + b"a" * (megabytes * 1024 * 1024) + b'"}'

    with caplog.at_level(logging.INFO):
        response = api.post(BASE, data=body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["error"] == "TOO_LARGE"
    assert [record for record in caplog.records if record.exc_info] == []
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        (BASE, '{"path": "/content/dam/\\ud800", "type": "ASSET_PROCESSING"}', "path"),
        (
            BASE,
            '{"path": "/content/dam/docs", "excludedPaths": ["docs/a", "docs/\\udfff"], '
            '"type": "ASSET_PROCESSING"}',
            "excludedPaths[1]",
        ),
        (
            BASE,
            '{"path": "/content/dam/docs", "type": "ASSET_PROCESSING", '
            '"filter": {"fileTypes": ["\\ud83d"]}}',
            "filter.fileTypes[0]",
        ),
        (f"{BASE}/cancel", '{"processingId": "\\ud800"}', "processingId"),
        (f"{BASE}/restart", '{"processingId": "ab\\udc00cd"}', "processingId"),
    ],
)
def test_a_lone_surrogate_in_the_body_is_a_400_naming_the_field(api, write_tree, url, body, field):
    write_tree({"docs/a/x.md": "# X\n"})

    response = api.post(url, data=body, content_type="application/json")

    assert response.status_code == 400, response.content
    assert response.json()["error"] == "INVALID_INPUT"
    assert response.json()["field"] == field
    assert "surrogate" in response.json()["message"]


def test_a_surrogate_encoded_in_the_query_string_is_not_a_server_error(api):
    response = api.get(f"{BASE}/status?processingId=%ED%A0%80")

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"


BAD_NUMBERS = ["99999999999999999999999", "9007199254740992", "-1", "-99999999999999999999", "x"]


@pytest.mark.parametrize("value", BAD_NUMBERS)
@pytest.mark.parametrize(
    ("endpoint", "field"),
    [
        ("history", "limit"),
        ("logs", "offset"),
        ("logs", "limit"),
        ("logs", "tail"),
    ],
)
def test_a_paging_number_out_of_range_is_a_400_naming_it(
    api, execution_with_log, endpoint, field, value
):
    execution = execution_with_log(3)

    response = api.get(
        f"{BASE}/{endpoint}", {"processingId": str(execution.processing_id), field: value}
    )

    assert response.status_code == 400, response.content
    assert response.json()["error"] == "INVALID_INPUT"
    assert response.json()["field"] == field


@pytest.mark.parametrize(("field", "value"), [("limit", "1000"), ("tail", "100000")])
def test_a_large_but_sane_page_size_is_capped_not_refused(api, execution_with_log, field, value):
    execution = execution_with_log(3)

    response = api.get(f"{BASE}/logs", {"processingId": str(execution.processing_id), field: value})

    assert response.status_code == 200
    assert len(response.json()["lines"]) == 3
