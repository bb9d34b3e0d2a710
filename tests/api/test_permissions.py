"""Reads need a staff user; writes need a superuser or the run permission (through a group)."""

import pytest
from django.test import Client

from .conftest import BASE, basic_client

pytestmark = pytest.mark.django_db

WRITES = ["", "/cancel", "/resume", "/restart"]


@pytest.fixture
def execution(finished):
    return finished()


def write(client, post_json, action, execution):
    body = (
        {"path": "/content/dam/other", "type": "ASSET_PROCESSING"}
        if action == ""
        else {"processingId": str(execution.processing_id)}
    )
    return post_json(client, f"{BASE}{action}", body)


@pytest.mark.parametrize("action", WRITES)
def test_a_staff_user_without_the_run_permission_may_not_write(staff, post_json, execution, action):
    response = write(basic_client(staff), post_json, action, execution)

    assert response.status_code == 403
    assert response.json() == {
        "error": "FORBIDDEN",
        "message": "reviewer may not start, cancel, resume or restart processing: that needs the "
        "guides_processor.run_assetprocessing permission (superusers have it).",
    }


def test_a_staff_user_in_a_session_without_the_run_permission_may_not_write(
    staff, post_json, execution
):
    client = Client()
    client.force_login(staff)

    assert write(client, post_json, "/restart", execution).status_code == 403


def test_a_staff_user_may_read(staff, execution):
    client = basic_client(staff)
    processing_id = str(execution.processing_id)

    assert client.get(f"{BASE}/status", {"processingId": processing_id}).status_code == 200
    assert client.get(f"{BASE}/logs", {"processingId": processing_id}).status_code == 200
    assert client.get(f"{BASE}/logs/download", {"processingId": processing_id}).status_code == 200
    assert client.get(f"{BASE}/history").status_code == 200


def test_a_user_in_a_group_with_the_run_permission_may_write_and_read(runner, post_json, execution):
    client = basic_client(runner)

    restarted = write(client, post_json, "/restart", execution)

    assert restarted.status_code == 200
    assert restarted.json()["createdBy"] == "runner"
    assert client.get(f"{BASE}/history").status_code == 200


def test_a_user_neither_staff_nor_permitted_may_not_read(outsider, execution):
    response = basic_client(outsider).get(f"{BASE}/history")

    assert response.status_code == 403
    assert response.json()["message"] == "outsider may not read executions: only staff users may."
