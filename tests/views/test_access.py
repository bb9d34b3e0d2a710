"""Who may see the console and who may act in it: checked by the views, page and fragment alike."""

import pytest
from django.urls import reverse

from guides_processor.models import Execution, ExecutionStatus

from .conftest import HTMX

pytestmark = pytest.mark.django_db

EXECUTIONS = reverse("guides_processor:executions")


def test_the_root_leads_to_the_tools_page(runner_client):
    response = runner_client.get("/")

    assert response.status_code == 302
    assert response["Location"] == reverse("guides_processor:tools")


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(EXECUTIONS)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={EXECUTIONS}"


def test_an_anonymous_htmx_request_redirects_the_page_not_the_fragment(client):
    response = client.get(reverse("guides_processor:folders"), **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{reverse('login')}?next=%2Ftools%2F"


def test_the_sign_in_page_signs_in_and_lands_on_the_tools_page(client, runner):
    page = client.get(reverse("login"))
    assert page.status_code == 200 and b'name="password"' in page.content

    response = client.post(reverse("login"), {"username": "operator", "password": "pw"})

    assert response.status_code == 302
    assert response["Location"] == reverse("guides_processor:tools")


def test_a_user_who_is_not_staff_is_refused_with_a_reason(outsider, client):
    client.force_login(outsider)

    for url in (reverse("guides_processor:tools"), EXECUTIONS):
        response = client.get(url)
        assert response.status_code == 403
        assert b"no access to the asset processor" in response.content


def test_the_tools_page_has_the_asset_processor_tile(reader_client):
    response = reader_client.get(reverse("guides_processor:tools"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Guides" in html and "Asset Processor" in html and EXECUTIONS in html


def test_a_reader_sees_executions_without_any_action(reader_client, finished):
    response = reader_client.get(EXECUTIONS)

    html = response.content.decode()
    assert str(finished.processing_id) in html
    assert "View logs" in html
    assert "New Process" not in html and 'id="new-process"' not in html
    for action in ("Restart", "Resume", "Cancel"):
        assert f'aria-label="{action}"' not in html


@pytest.mark.parametrize("action", ["cancel", "resume", "restart"])
def test_a_reader_posting_an_action_is_refused_and_nothing_changes(reader_client, finished, action):
    url = reverse(f"guides_processor:execution_{action}", args=[finished.processing_id])

    response = reader_client.post(url)
    htmx_response = reader_client.post(url, **HTMX)

    assert response.status_code == 403
    assert b"not start, cancel, resume or restart" in response.content
    assert htmx_response.status_code == 403
    assert "not start, cancel, resume or restart" in htmx_response["HX-Trigger"]
    assert Execution.objects.count() == 1
    assert Execution.objects.get().status == ExecutionStatus.SUCCESS


def test_a_reader_cannot_create_a_process(reader_client, write_tree):
    write_tree({"a/x.dita": "<topic id='x'><title>X</title></topic>"})

    response = reader_client.post(
        reverse("guides_processor:execution_create"), {"path": "/content/dam/a"}, **HTMX
    )

    assert response.status_code == 403
    assert not Execution.objects.exists()


def test_actions_answer_only_to_post(runner_client, finished):
    url = reverse("guides_processor:execution_restart", args=[finished.processing_id])

    assert runner_client.get(url).status_code == 405
