"""The Django admin shows the engine's tables and lets nobody, not even a superuser, edit them."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from guides_processor import executions
from guides_processor.models import (
    Asset,
    Execution,
    ExecutionItem,
    ExecutionSlot,
    ExecutionStatus,
    LogLine,
    Reference,
)

from .trees import guide

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client() -> Client:
    user = User.objects.create_superuser("root", "root@example.org", "pw-not-used")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def finished(write_tree) -> Execution:
    write_tree(guide())
    execution = executions.execution_create(path="/content/dam/guide", created_by="admin")
    return executions.execution_run_inline(processing_id=execution.processing_id)


def test_a_superuser_can_view_but_not_change_an_execution(superuser_client, finished):
    url = f"/admin/guides_processor/execution/{finished.pk}/change/"
    page = superuser_client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="status"' not in html
    assert 'name="processed_count"' not in html
    assert finished.path in html
    processed = finished.processed_count
    assert processed > 0

    posted = superuser_client.post(
        url,
        {"path": finished.path, "status": "IN_PROGRESS", "processed_count": "0", "comments": "x"},
    )

    assert posted.status_code == 403
    finished.refresh_from_db()
    assert finished.status == ExecutionStatus.SUCCESS
    assert finished.processed_count == processed


@pytest.mark.parametrize(
    "model", [Execution, ExecutionItem, ExecutionSlot, LogLine, Asset, Reference]
)
def test_engine_rows_cannot_be_added_changed_or_deleted(superuser_client, finished, model):
    name = model._meta.model_name
    row = model.objects.order_by("pk").first()
    assert row is not None
    before = model.objects.count()

    assert superuser_client.get(f"/admin/guides_processor/{name}/").status_code == 200
    assert superuser_client.get(f"/admin/guides_processor/{name}/add/").status_code == 403
    assert superuser_client.post(f"/admin/guides_processor/{name}/add/", {}).status_code == 403
    assert (
        superuser_client.post(f"/admin/guides_processor/{name}/{row.pk}/change/", {}).status_code
        == 403
    )
    assert (
        superuser_client.post(
            f"/admin/guides_processor/{name}/{row.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    superuser_client.post(
        f"/admin/guides_processor/{name}/",
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )

    assert model.objects.count() == before
