"""A wrong HTTP method is a 405 in the one error shape, with the Allow header."""

import pytest

from .conftest import BASE

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("get", BASE, "POST"),
        ("put", BASE, "POST"),
        ("post", f"{BASE}/status", "GET"),
        ("delete", f"{BASE}/logs", "GET"),
        ("get", f"{BASE}/cancel", "POST"),
        ("patch", f"{BASE}/history", "GET"),
    ],
)
def test_a_wrong_method_is_a_405_saying_which_one_to_use(api, method, url, allowed):
    response = getattr(api, method)(url)

    assert response.status_code == 405
    assert response["Allow"] == allowed
    assert response.json() == {
        "error": "METHOD_NOT_ALLOWED",
        "message": f"{method.upper()} is not allowed here; use {allowed}.",
    }
