"""POST /assets/process/retry: a new execution over exactly the assets that failed in one."""

import pytest

from guides_processor import executions
from guides_processor.models import Asset, Execution, ExecutionItem, ExecutionStatus
from tests.engine.trees import guide, topic

from .conftest import basic_client

RETRY = "/bin/guides/v1/assets/process/retry"


@pytest.fixture
def failed_twice(write_tree, db) -> Execution:
    write_tree(guide())
    write_tree(
        {
            "guide/topics/broken.dita": "<concept id='x'><title>Unclosed</concept>",
            "guide/topics/worse.dita": "<concept id='y'><title>Unclosed</concept>",
        }
    )
    execution = executions.execution_create(path="/content/dam/guide", created_by="admin")
    return executions.execution_run_inline(processing_id=execution.processing_id)


def test_retry_processes_exactly_the_failed_assets(api, post_json, write_tree, failed_twice):
    assert failed_twice.failed_count == 2
    write_tree({"guide/topics/broken.dita": topic("x", "Fixed")})
    response = post_json(api, RETRY, {"processingId": str(failed_twice.processing_id)})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["restartedFrom"] == str(failed_twice.processing_id)
    retry = Execution.objects.get(processing_id=body["processingId"])
    assert sorted(retry.items.values_list("relpath", flat=True)) == [
        "guide/topics/broken.dita",
        "guide/topics/worse.dita",
    ]
    done = executions.execution_run_inline(processing_id=retry.processing_id)
    assert done.status == ExecutionStatus.SUCCESS
    assert (done.processed_count, done.failed_count, done.total_files) == (1, 1, 2)
    assert Asset.objects.get(relpath="guide/topics/broken.dita").status == "SUCCESS"
    # The assets it did not list are not taken for deleted.
    assert not Asset.objects.filter(deleted_at__isnull=False).exists()


def test_nothing_to_retry_or_not_finished_is_a_conflict(api, post_json, write_tree, db):
    write_tree(guide())
    clean = executions.execution_create(path="/content/dam/guide", created_by="admin")
    response = post_json(api, RETRY, {"processingId": str(clean.processing_id)})
    assert response.status_code == 409  # still waiting
    executions.execution_run_inline(processing_id=clean.processing_id)
    response = post_json(api, RETRY, {"processingId": str(clean.processing_id)})
    assert response.status_code == 409
    assert "no failed assets" in response.json()["message"]


def test_retry_needs_the_run_permission(staff, runner, post_json, failed_twice):
    body = {"processingId": str(failed_twice.processing_id)}
    response = post_json(basic_client(staff), RETRY, body)
    assert response.status_code == 403
    assert post_json(basic_client(runner), RETRY, body).status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [({}, 400), ({"processingId": "nope"}, 404), ({"processingId": 5}, 400)],
)
def test_bad_retry_requests_are_4xx(api, post_json, db, body, status):
    response = post_json(api, RETRY, body)
    assert response.status_code == status
    assert set(response.json()) >= {"error", "message"}


def test_the_retry_is_recorded_in_its_log(api, post_json, failed_twice):
    body = post_json(api, RETRY, {"processingId": str(failed_twice.processing_id)}).json()
    retry = Execution.objects.get(processing_id=body["processingId"])
    first = retry.log_lines.order_by("line").first()
    assert first is not None and "retry of the 2 assets that failed" in first.message
    assert ExecutionItem.objects.filter(execution=retry).count() == 2


def test_a_restart_of_a_retry_redoes_its_list_not_the_folder(api, post_json, failed_twice):
    retry = Execution.objects.get(
        processing_id=post_json(
            api, RETRY, {"processingId": str(failed_twice.processing_id)}
        ).json()["processingId"]
    )
    executions.execution_run_inline(processing_id=retry.processing_id)

    response = post_json(
        api, "/bin/guides/v1/assets/process/restart", {"processingId": str(retry.processing_id)}
    )

    assert response.status_code == 200, response.content
    again = Execution.objects.get(processing_id=response.json()["processingId"])
    assert again.restarted_from == retry and again.retry_failed
    assert sorted(again.items.values_list("relpath", flat=True)) == [
        "guide/topics/broken.dita",
        "guide/topics/worse.dita",
    ]
    done = executions.execution_run_inline(processing_id=again.processing_id)
    assert (done.total_files, done.failed_count) == (2, 2)
    assert not Asset.objects.filter(deleted_at__isnull=False).exists()


def test_a_restart_of_a_list_whose_rows_retention_removed_is_a_conflict(
    api, post_json, failed_twice
):
    retry = executions.execution_retry_failed(processing_id=failed_twice.processing_id, by="admin")
    executions.execution_run_inline(processing_id=retry.processing_id)
    Execution.objects.filter(pk=retry.pk).update(pruned_at=retry.created_at)
    ExecutionItem.objects.filter(execution=retry).delete()

    response = post_json(
        api, "/bin/guides/v1/assets/process/restart", {"processingId": str(retry.processing_id)}
    )

    assert response.status_code == 409
    assert "retention removed" in response.json()["message"]


def test_retry_takes_the_processing_id_from_the_query_as_cancel_resume_and_restart_do(
    api, post_json, failed_twice
):
    pid = str(failed_twice.processing_id)
    response = post_json(api, f"{RETRY}?processingId={pid}")

    assert response.status_code == 200, response.content
    assert response.json()["restartedFrom"] == pid


def test_failed_assets_gone_from_disk_are_left_out_and_all_gone_is_a_conflict(
    api, post_json, failed_twice, settings
):
    pid = str(failed_twice.processing_id)
    (settings.GUIDES_CONTENT_ROOT / "guide/topics/worse.dita").unlink()

    body = post_json(api, RETRY, {"processingId": pid}).json()

    retry = Execution.objects.get(processing_id=body["processingId"])
    assert list(retry.items.values_list("relpath", flat=True)) == ["guide/topics/broken.dita"]
    first = retry.log_lines.order_by("line").first()
    assert first is not None and first.message.endswith(
        f"retry of the 1 asset that failed in execution {pid} (1 other no longer on disk, "
        "left out)."
    )
    executions.execution_run_inline(processing_id=retry.processing_id)
    (settings.GUIDES_CONTENT_ROOT / "guide/topics/broken.dita").unlink()
    refused = post_json(api, RETRY, {"processingId": pid})
    assert refused.status_code == 409
    assert refused.json()["message"] == (
        f"The 2 assets that failed in execution {pid} are no longer on disk: there is nothing "
        "to retry."
    )
