"""HTTP Basic for scripts, the session for the console; else a JSON 401, never a redirect."""

import base64

import pytest
from django.test import Client

from .conftest import BASE, basic, basic_client

pytestmark = pytest.mark.django_db

CHALLENGE = 'Basic realm="Guides Asset Processor", charset="UTF-8"'


@pytest.fixture
def tree(write_tree):
    return write_tree({"docs/a.md": "# A\n"})


def start_body():
    return {"path": "/content/dam/docs", "type": "ASSET_PROCESSING"}


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", f"{BASE}/history"),
        ("get", f"{BASE}/status?processingId=x"),
        ("post", BASE),
        ("post", f"{BASE}/cancel?processingId=x"),
    ],
)
def test_without_credentials_it_is_a_json_401_with_a_basic_challenge(method, url):
    response = getattr(Client(enforce_csrf_checks=True), method)(url)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == CHALLENGE
    assert "Location" not in response
    assert response.json()["error"] == "UNAUTHORIZED"
    assert response.json()["message"].startswith("Authentication is required")


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(basic("admin", "wrong"), id="wrong password"),
        pytest.param(basic("nobody"), id="unknown user"),
        pytest.param("Basic not-base64!", id="not base64"),
        pytest.param("Basic " + base64.b64encode(b"no-colon").decode(), id="no colon"),
        pytest.param("Bearer abc", id="another scheme"),
    ],
)
def test_bad_credentials_are_a_401(admin, authorization):
    response = Client(headers={"Authorization": authorization}).get(f"{BASE}/history")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == CHALLENGE
    # Credentials that came and were refused are told apart from none at all.
    refused = authorization.startswith("Basic ")
    assert response.json()["message"].startswith(
        "The user name or password is not accepted" if refused else "Authentication is required"
    )


def test_an_inactive_user_is_a_401(admin):
    admin.is_active = False
    admin.save()

    assert basic_client(admin).get(f"{BASE}/history").status_code == 401


def test_basic_auth_may_read_and_write_without_a_csrf_token(admin, post_json, tree):
    client = basic_client(admin, enforce_csrf_checks=True)

    assert client.get(f"{BASE}/history").status_code == 200
    assert post_json(client, BASE, start_body()).status_code == 200


def test_a_session_may_read(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)

    assert client.get(f"{BASE}/history").status_code == 200


def test_a_session_write_without_the_csrf_token_is_refused(admin, post_json, tree):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)

    response = post_json(client, BASE, start_body())

    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"
    assert "CSRF" in response.json()["message"]


def test_a_session_write_with_the_csrf_token_is_accepted(admin, post_json, tree):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    client.get("/login/")  # the login page sets the CSRF cookie, as the console's pages do
    token = client.cookies["csrftoken"].value

    response = post_json(client, BASE, start_body(), headers={"X-CSRFToken": token})

    assert response.status_code == 200, response.content
