"""An action the execution's state does not allow is a 409 that gives the reason."""

import pytest

from guides_processor import executions
from tests.engine.trees import many

from .conftest import BASE

pytestmark = pytest.mark.django_db


@pytest.fixture
def running(write_tree):
    """An execution that has started (no worker runs in these tests, so it stays running)."""
    write_tree(many(5))
    return executions.execution_create(path="/content/dam/bulk", created_by="admin")


def test_resuming_a_running_execution_is_a_409(api, post_json, running):
    response = post_json(api, f"{BASE}/resume", {"processingId": str(running.processing_id)})

    assert response.status_code == 409
    assert response.json()["error"] == "CONFLICT"
    assert "only cancelled or failed executions can be resumed" in response.json()["message"]


def test_cancelling_a_finished_execution_is_a_409(api, post_json, finished):
    execution = finished()

    response = post_json(api, f"{BASE}/cancel", {"processingId": str(execution.processing_id)})

    assert response.status_code == 409
    assert (
        "is completed; only waiting or running executions can be cancelled"
        in (response.json()["message"])
    )


def test_restarting_a_running_execution_is_a_409(api, post_json, running):
    response = post_json(api, f"{BASE}/restart", {"processingId": str(running.processing_id)})

    assert response.status_code == 409
    assert "only finished executions can be restarted" in response.json()["message"]


@pytest.mark.parametrize("path", ["/content/dam/bulk", "/content/dam", "content/dam/bulk/"])
def test_starting_on_a_path_overlapping_a_running_execution_is_a_409_naming_it(
    api, post_json, running, path
):
    response = post_json(api, BASE, {"path": path, "type": "ASSET_PROCESSING"})

    assert response.status_code == 409
    assert str(running.processing_id) in response.json()["message"]
