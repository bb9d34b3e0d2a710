"""Error pages (400, 403, 404, 500) in the console's layout, with a way back, when DEBUG is off."""

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.test import RequestFactory
from django.urls import reverse
from django.views import defaults

pytestmark = pytest.mark.django_db

UNKNOWN = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def assert_console_page(html: str) -> None:
    assert 'class="topbar"' in html  # the console's header
    assert 'href="/tools/"' in html  # the way back
    assert "console.css" in html


def test_an_unknown_execution_is_a_console_404_page(runner_client):
    response = runner_client.get(reverse("guides_processor:execution_detail", args=[UNKNOWN]))

    assert response.status_code == 404
    html = response.content.decode()
    assert_console_page(html)
    assert UNKNOWN in html  # which id was not found
    assert "Back to the Asset Processor" in html


def test_an_unknown_address_is_a_console_404_page(runner_client):
    response = runner_client.get("/tools/nothing-here/")

    assert response.status_code == 404
    assert_console_page(response.content.decode())


def test_400_and_403_pages_use_the_console_layout(rf: RequestFactory, runner):
    request = rf.get("/tools/")
    request.user = runner

    bad = defaults.bad_request(request, SuspiciousOperation("nope"))
    denied = defaults.permission_denied(request, PermissionDenied("nope"))

    assert bad.status_code == 400
    assert_console_page(bad.content.decode())
    assert "Bad request" in bad.content.decode()
    assert denied.status_code == 403
    assert_console_page(denied.content.decode())
    assert "Not allowed" in denied.content.decode()


def test_the_500_page_uses_the_console_layout_without_a_request_context(rf: RequestFactory):
    response = defaults.server_error(rf.get("/tools/"))

    assert response.status_code == 500
    html = response.content.decode()
    assert_console_page(html)
    assert "Something went wrong" in html
