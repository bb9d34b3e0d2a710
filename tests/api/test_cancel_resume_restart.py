"""Cancel, resume and restart take the processingId in the body or the query and return a status."""

import uuid

import pytest

from guides_processor import executions
from guides_processor.models import Execution, ExecutionStatus
from tests.engine.trees import many

from .conftest import BASE

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(write_tree, settings):
    """The second of two executions, queued behind the first (one runs at a time)."""
    write_tree({**many(3, "a"), **many(3, "b")})
    executions.execution_create(path="/content/dam/a", created_by="admin")
    return executions.execution_create(path="/content/dam/b", created_by="admin")


def test_cancel_takes_the_processing_id_from_the_body(api, post_json, waiting):
    response = post_json(api, f"{BASE}/cancel", {"processingId": str(waiting.processing_id)})

    assert response.status_code == 200
    status = response.json()
    assert status["processingId"] == str(waiting.processing_id)
    assert status["status"] == ExecutionStatus.CANCELLED
    assert (status["cancellable"], status["resumable"], status["restartable"]) == (
        False,
        True,
        True,
    )


def test_cancel_takes_the_processing_id_from_the_query(api, post_json, waiting):
    response = post_json(api, f"{BASE}/cancel?processingId={waiting.processing_id}")

    assert response.status_code == 200
    assert response.json()["status"] == ExecutionStatus.CANCELLED


def test_a_running_execution_is_cancelling_until_its_workers_stop(api, post_json, waiting):
    running = Execution.objects.get(path="/content/dam/a")

    response = post_json(api, f"{BASE}/cancel", {"processingId": str(running.processing_id)})

    assert response.json()["status"] in {ExecutionStatus.CANCELLING, ExecutionStatus.CANCELLED}


def test_resume_returns_the_same_execution_queued_again(api, post_json, waiting):
    executions.execution_cancel(processing_id=waiting.processing_id, by="admin")

    response = post_json(api, f"{BASE}/resume?processingId={waiting.processing_id}")

    assert response.status_code == 200
    assert response.json()["processingId"] == str(waiting.processing_id)
    assert response.json()["status"] == ExecutionStatus.WAITING


def test_restart_returns_the_status_of_the_new_execution(api, post_json, finished):
    old = finished()

    response = post_json(api, f"{BASE}/restart", {"processingId": str(old.processing_id)})

    assert response.status_code == 200
    new = response.json()
    assert new["processingId"] != str(old.processing_id)
    assert new["restartedFrom"] == str(old.processing_id)
    assert new["path"] == old.path
    assert new["status"] in {ExecutionStatus.WAITING, ExecutionStatus.IN_PROGRESS}


def test_the_same_id_in_body_and_query_is_fine(api, post_json, waiting):
    pid = str(waiting.processing_id)

    assert (
        post_json(api, f"{BASE}/cancel?processingId={pid}", {"processingId": pid}).status_code
        == 200
    )


def test_different_ids_in_body_and_query_are_a_400(api, post_json, waiting):
    response = post_json(
        api,
        f"{BASE}/cancel?processingId={uuid.uuid4()}",
        {"processingId": str(waiting.processing_id)},
    )

    assert response.status_code == 400
    assert response.json()["field"] == "processingId"


@pytest.mark.parametrize("action", ["cancel", "resume", "restart"])
def test_a_misspelt_processing_id_in_the_body_is_a_400_naming_it(api, post_json, waiting, action):
    response = post_json(api, f"{BASE}/{action}", {"processingID": str(waiting.processing_id)})

    assert response.status_code == 400
    assert response.json()["field"] == "processingID"
    assert "not a field of this request" in response.json()["message"]


@pytest.mark.parametrize("action", ["cancel", "resume", "restart"])
def test_no_processing_id_anywhere_is_a_400(api, post_json, action):
    response = post_json(api, f"{BASE}/{action}", {})

    assert response.status_code == 400
    assert response.json()["field"] == "processingId"
    assert "JSON body" in response.json()["message"]
    assert "query string" in response.json()["message"]
