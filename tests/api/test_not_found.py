"""An unknown or malformed processingId, or an unknown URL under the API, is a JSON 404."""

import pytest

from .conftest import BASE

pytestmark = pytest.mark.django_db

# A well-formed id no execution has (ids are random UUIDs); fixed, so that every test process
# collects the same parameters.
UNKNOWN = "4c89037b-3a60-4cfa-941d-3af2e748f92c"


@pytest.mark.parametrize("endpoint", ["status", "logs", "logs/download"])
@pytest.mark.parametrize("processing_id", [UNKNOWN, "akjhdfalkj1132", "' OR 1=1 --"])
def test_reading_an_execution_that_does_not_exist_is_a_404(api, endpoint, processing_id):
    response = api.get(f"{BASE}/{endpoint}", {"processingId": processing_id})

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"
    assert processing_id in response.json()["message"]


@pytest.mark.parametrize("action", ["cancel", "resume", "restart"])
def test_acting_on_an_execution_that_does_not_exist_is_a_404(api, post_json, action):
    response = post_json(api, f"{BASE}/{action}", {"processingId": UNKNOWN})

    assert response.status_code == 404
    assert response.json() == {
        "error": "NOT_FOUND",
        "message": f"No execution has the processingId {UNKNOWN}.",
    }


def test_an_unknown_url_under_the_api_is_a_json_404(api):
    response = api.get("/bin/guides/v1/assets/processes")

    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"


@pytest.mark.parametrize("endpoint", ["status", "logs", "logs/download"])
def test_an_empty_processing_id_is_a_400_as_on_the_operations(api, post_json, endpoint):
    response = api.get(f"{BASE}/{endpoint}", {"processingId": ""})
    restart = post_json(api, f"{BASE}/restart", {"processingId": ""})

    assert response.status_code == restart.status_code == 400
    assert response.json()["field"] == restart.json()["field"] == "processingId"
    assert "processingId is required" in response.json()["message"]
