"""Retry failed: offered on an execution that failed assets, to users who may run; it starts an
execution over exactly those assets."""

import json

import pytest
from django.urls import reverse

from guides_processor import executions
from guides_processor.models import Execution

from .conftest import HTMX

pytestmark = pytest.mark.django_db


def table(client) -> str:
    return str(client.get(reverse("guides_processor:executions")).content.decode())


def short(execution: Execution) -> str:
    return str(execution.processing_id)[:8]


def detail(client, execution: Execution) -> str:
    url = reverse("guides_processor:execution_detail", args=[execution.processing_id])
    return str(client.get(url).content.decode())


def test_a_run_with_failed_assets_offers_retry_on_its_row_and_page(runner_client, finished):
    assert finished.failed_count == 1
    assert f'id="retry-{finished.processing_id}"' in table(runner_client)
    assert 'id="detail-retry"' in detail(runner_client, finished)


def test_a_reader_is_not_offered_retry(reader_client, finished):
    assert "Retry failed" not in table(reader_client)
    assert "Retry failed" not in detail(reader_client, finished)


def test_a_run_without_failures_offers_no_retry(runner_client, write_tree):
    write_tree({"clean/a.md": "# A\n"})
    execution = executions.execution_create(path="/content/dam/clean", created_by="operator")
    clean = executions.execution_run_inline(processing_id=execution.processing_id)
    assert f'id="retry-{clean.processing_id}"' not in table(runner_client)
    assert 'id="detail-retry"' not in detail(runner_client, clean)


def test_retry_starts_an_execution_of_the_failed_assets(runner_client, finished):
    url = reverse("guides_processor:execution_retry", args=[finished.processing_id])
    response = runner_client.post(url, **HTMX)
    assert response.status_code == 204
    toast = json.loads(response["HX-Trigger"])["toast"]
    retry = Execution.objects.get(restarted_from=finished, retry_failed=True)
    assert toast["message"] == f"Retrying 1 failed asset as execution {short(retry)}."
    assert list(retry.items.values_list("relpath", flat=True)) == ["guide/topics/broken.dita"]


def test_the_toast_counts_several_failed_assets_in_the_plural(runner_client, write_tree):
    write_tree({f"bad/{name}.dita": "<concept id='x'><title>Unclosed</concept>" for name in "ab"})
    execution = executions.execution_create(path="/content/dam/bad", created_by="operator")
    failed = executions.execution_run_inline(processing_id=execution.processing_id)
    url = reverse("guides_processor:execution_retry", args=[failed.processing_id])
    response = runner_client.post(url, **HTMX)
    toast = json.loads(response["HX-Trigger"])["toast"]
    retry = Execution.objects.get(restarted_from=failed, retry_failed=True)
    assert toast["message"] == f"Retrying 2 failed assets as execution {short(retry)}."


def test_retry_by_a_reader_is_refused(reader_client, finished):
    url = reverse("guides_processor:execution_retry", args=[finished.processing_id])
    assert reader_client.post(url, **HTMX).status_code == 403
    assert not Execution.objects.filter(retry_failed=True).exists()
