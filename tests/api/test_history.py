"""GET .../history gives the last N executions, newest first, each as its status object."""

import pytest

from guides_processor import executions
from guides_processor.api import endpoints as api_module
from tests.engine.trees import many

from .conftest import BASE

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(write_tree):
    """Three executions on separate folders, oldest first."""
    write_tree({**many(1, "a"), **many(1, "b"), **many(1, "c")})
    return [
        executions.execution_create(
            path=f"/content/dam/{name}",
            created_by="admin",
            file_types=["DITATOPIC"] if name == "b" else [],
        )
        for name in "abc"
    ]


def ids(response):
    return [item["processingId"] for item in response.json()["executionHistory"]]


def test_it_lists_executions_newest_first(api, three):
    response = api.get(f"{BASE}/history")

    assert response.status_code == 200
    assert ids(response) == [str(execution.processing_id) for execution in reversed(three)]


def test_limit_keeps_the_newest_n_and_may_be_a_numeric_string(api, three):
    assert ids(api.get(f"{BASE}/history?limit=2")) == [
        str(three[2].processing_id),
        str(three[1].processing_id),
    ]


def test_each_item_carries_its_filter(api, three):
    items = api.get(f"{BASE}/history").json()["executionHistory"]

    assert items[1]["filter"] == {
        "fileTypes": ["DITATOPIC"],
        "filterProcessedAssets": False,
        "startTime": None,
        "endTime": None,
    }


def test_a_limit_above_the_cap_is_capped(api, three, monkeypatch):
    monkeypatch.setattr(api_module, "HISTORY_LIMIT_MAX", 2)

    assert len(ids(api.get(f"{BASE}/history?limit=1000000000"))) == 2


def test_an_empty_history_is_an_empty_list(api):
    assert api.get(f"{BASE}/history").json() == {"executionHistory": []}
