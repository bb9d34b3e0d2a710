"""No cache keeps what a signed-in user sees; DJANGO_SECURE switches on HTTPS-only behaviour."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from .conftest import BASE, basic_client

pytestmark = pytest.mark.django_db

PROJECT = Path(__file__).resolve().parents[2]


def test_api_answers_are_not_stored(admin):
    assert "no-store" in basic_client(admin).get(f"{BASE}/history")["Cache-Control"]
    assert "no-store" in Client().get(f"{BASE}/history")["Cache-Control"]


def test_console_pages_of_a_signed_in_user_are_not_stored(admin):
    client = Client()
    client.force_login(admin)

    response = client.get("/tools/")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_openapi_document_needs_credentials(admin):
    response = Client().get("/bin/guides/v1/openapi.json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic ")
    assert response.json()["error"] == "UNAUTHORIZED"
    assert basic_client(admin).get("/bin/guides/v1/openapi.json").status_code == 200
    session = Client()
    session.force_login(admin)
    assert session.get("/bin/guides/v1/openapi.json").status_code == 200


def test_the_docs_page_sends_a_stranger_to_sign_in(admin):
    response = Client().get("/bin/guides/v1/docs")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/bin/guides/v1/docs")
    session = Client()
    session.force_login(admin)
    assert session.get("/bin/guides/v1/docs").status_code == 200


def test_a_user_who_may_not_read_does_not_get_the_document(outsider):
    response = basic_client(outsider).get("/bin/guides/v1/openapi.json")

    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"


PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
response = Client(SERVER_NAME="localhost").get("/login/", HTTP_X_FORWARDED_PROTO="https")
print(json.dumps({
    "hsts": response.get("Strict-Transport-Security"),
    "csrf_cookie_secure": bool(response.cookies["csrftoken"]["secure"]),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "proxy_header": settings.SECURE_PROXY_SSL_HEADER,
    "secure": response.wsgi_request.is_secure(),
}))
"""


def probe(tmp_path, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "GUIDES_", "DATABASE_URL"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="guides_processor.settings",
        DJANGO_SECRET_KEY="x" * 50,
        GUIDES_DATA_DIR=str(tmp_path),
        **env,
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_django_secure_turns_on_secure_cookies_hsts_and_the_proxy_header(tmp_path):
    on = probe(tmp_path, DJANGO_SECURE="true")

    assert on["hsts"] == "max-age=31536000"
    assert on["csrf_cookie_secure"] is True
    assert on["session_cookie_secure"] is True
    assert on["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert on["secure"] is True


def test_without_django_secure_plain_http_works_as_before(tmp_path):
    off = probe(tmp_path)

    assert off["hsts"] is None
    assert off["csrf_cookie_secure"] is False
    assert off["session_cookie_secure"] is False
    assert off["secure"] is False
