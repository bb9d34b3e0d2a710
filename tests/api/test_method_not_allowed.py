"""A wrong HTTP method is a 405 in the one error shape, with the Allow header; HEAD is a GET."""

import pytest

from .conftest import BASE

READ = "GET, HEAD"

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("get", BASE, "POST"),
        ("put", BASE, "POST"),
        ("head", BASE, "POST"),
        ("post", f"{BASE}/status", READ),
        ("delete", f"{BASE}/logs", READ),
        ("get", f"{BASE}/cancel", "POST"),
        ("patch", f"{BASE}/history", READ),
    ],
)
def test_a_wrong_method_is_a_405_saying_which_one_to_use(api, method, url, allowed):
    response = getattr(api, method)(url)

    assert response.status_code == 405
    assert response["Allow"] == allowed
    if method != "head":
        use = allowed.replace(", ", " or ")
        assert response.json() == {
            "error": "METHOD_NOT_ALLOWED",
            "message": f"{method.upper()} is not allowed here; use {use}.",
        }


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "PROPFIND", "BREW"])
@pytest.mark.parametrize(("url", "allowed"), [(BASE, "POST"), (f"{BASE}/history", READ)])
def test_an_unknown_method_is_a_json_405(api, method, url, allowed):
    response = api.generic(method, url)

    assert response.status_code == 405
    assert response["Allow"] == allowed
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"] == "METHOD_NOT_ALLOWED"


@pytest.fixture
def get_endpoints(finished):
    execution = finished()
    query = f"?processingId={execution.processing_id}"
    return [
        f"{BASE}/status{query}",
        f"{BASE}/logs{query}&limit=2",
        f"{BASE}/logs/download{query}",
        f"{BASE}/history",
        f"{BASE}/status?processingId=unknown",
        "/bin/guides/v1/openapi.json",
        "/bin/guides/v1/docs",
    ]


def test_head_answers_like_get_without_a_body_on_every_get_endpoint(api, get_endpoints):
    for url in get_endpoints:
        got = api.get(url)
        head = api.head(url)

        assert head.status_code == got.status_code, url
        assert head["Content-Type"] == got["Content-Type"], url
        assert head.content == b"", url
        if "Content-Disposition" in got:
            assert head["Content-Disposition"] == got["Content-Disposition"]
        if not got.streaming:
            assert int(head["Content-Length"]) == len(got.content), url


def test_head_without_credentials_is_a_401_like_get(db):
    from django.test import Client

    response = Client().head(f"{BASE}/history")

    assert response.status_code == 401
    assert "WWW-Authenticate" in response
