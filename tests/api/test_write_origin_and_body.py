"""An API write is accepted only from the server's own origin (or a trusted one), and only as JSON.

A page on another origin (another port of the same host included) can make the browser send a
simple request (text/plain, no preflight) with credentials the browser remembers; it must be
refused. Scripts send no Origin and keep working.
"""

import pytest

from guides_processor.models import Execution

from .conftest import BASE

pytestmark = pytest.mark.django_db

BODY = '{"path": "/content/dam/docs", "type": "ASSET_PROCESSING"}'


@pytest.fixture(autouse=True)
def tree(write_tree):
    write_tree({"docs/a.md": "# A\n"})


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Origin": "http://testserver:8001"}, id="another port of the same host"),
        pytest.param({"Origin": "https://testserver"}, id="another scheme"),
        pytest.param({"Origin": "http://evil.example"}, id="another host"),
        pytest.param({"Origin": "null"}, id="an opaque origin"),
        pytest.param({"Referer": "http://testserver:8001/page.html"}, id="a foreign referer"),
    ],
)
@pytest.mark.parametrize("content_type", ["application/json", "text/plain"])
def test_a_write_from_another_origin_is_refused(api, headers, content_type):
    response = api.post(BASE, data=BODY, content_type=content_type, headers=headers)

    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"
    assert set(response.json()) == {"error", "message"}
    assert not Execution.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no origin (a script)"),
        pytest.param({"Origin": "http://testserver"}, id="its own origin"),
        pytest.param({"Referer": "http://testserver/tools/"}, id="its own referer"),
        pytest.param({"Origin": "https://console.example.org"}, id="a trusted origin"),
    ],
)
def test_a_json_write_from_a_trusted_origin_or_a_script_is_accepted(api, settings, headers):
    settings.CSRF_TRUSTED_ORIGINS = ["https://console.example.org"]

    response = api.post(BASE, data=BODY, content_type="application/json", headers=headers)

    assert response.status_code == 200, response.content
    assert Execution.objects.filter(processing_id=response.json()["processingId"]).exists()


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        pytest.param("https://guides.example.com", True, id="a sub-domain"),
        pytest.param("https://a.b.example.com", True, id="a deeper sub-domain"),
        pytest.param("http://guides.example.com", False, id="another scheme"),
        pytest.param("https://example.com.evil.org", False, id="a look-alike"),
        pytest.param("https://evilexample.com", False, id="no dot before the domain"),
    ],
)
def test_a_wildcard_trusted_origin_trusts_its_sub_domains_as_the_console_does(
    api, settings, origin, accepted
):
    """``https://*.example.com`` in DJANGO_CSRF_TRUSTED_ORIGINS, as Django's CSRF check reads it
    for the console."""
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.com"]

    response = api.post(
        BASE, data=BODY, content_type="application/json", headers={"Origin": origin}
    )

    assert response.status_code == (200 if accepted else 403), response.content


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""],
)
def test_a_write_body_that_is_not_declared_json_is_a_415(api, content_type):
    response = api.post(BASE, data=BODY, content_type=content_type)

    assert response.status_code == 415
    assert response.json()["error"] == "UNSUPPORTED_MEDIA_TYPE"
    assert not Execution.objects.exists()


def test_json_with_a_charset_parameter_is_accepted(api):
    response = api.post(BASE, data=BODY, content_type="application/json; charset=utf-8")

    assert response.status_code == 200, response.content


def test_a_write_with_no_body_needs_no_content_type(api):
    started = api.post(BASE, data=BODY, content_type="application/json").json()["processingId"]

    response = api.generic("POST", f"{BASE}/cancel?processingId={started}")

    assert response.status_code == 200, response.content
    assert response.json()["status"] in {"CANCELLED", "CANCELLING"}
