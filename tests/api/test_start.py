"""POST /bin/guides/v1/assets/process queues an execution and answers with its processingId."""

import pytest

from guides_processor.models import Execution, ExecutionStatus

from .conftest import BASE

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(write_tree):
    return write_tree(
        {
            "docs/a.dita": "<topic id='a'><title>A</title></topic>",
            "docs/drafts/b.dita": "<topic id='b'><title>B</title></topic>",
            "docs/old/c.md": "# C\n",
        }
    )


def start(api, post_json, **body):
    response = post_json(api, BASE, {"type": "ASSET_PROCESSING", **body})
    assert response.status_code == 200, response.content
    return Execution.objects.get(processing_id=response.json()["processingId"])


def test_it_answers_with_the_processing_id_of_a_queued_execution(api, post_json, tree):
    response = post_json(api, BASE, {"path": "/content/dam/docs", "type": "ASSET_PROCESSING"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    execution = Execution.objects.get(processing_id=response.json()["processingId"])
    assert execution.path == "/content/dam/docs"
    assert execution.status in {ExecutionStatus.WAITING, ExecutionStatus.IN_PROGRESS}
    assert execution.created_by == "admin"


def test_excluded_paths_are_taken_with_or_without_the_leading_slash(api, post_json, tree):
    execution = start(
        api,
        post_json,
        path="content/dam/docs/",
        excludedPaths=["content/dam/docs/drafts", "/content/dam/docs/old"],
    )

    assert execution.path == "/content/dam/docs"
    assert list(execution.excluded.values_list("path", flat=True)) == [
        "/content/dam/docs/drafts",
        "/content/dam/docs/old",
    ]


def test_one_excluded_path_may_be_sent_as_a_string(api, post_json, tree):
    execution = start(
        api, post_json, path="/content/dam/docs", excludedPaths="content/dam/docs/old"
    )

    assert list(execution.excluded.values_list("path", flat=True)) == ["/content/dam/docs/old"]


def test_null_excluded_paths_and_a_null_filter_mean_none(api, post_json, tree):
    execution = start(api, post_json, path="/content/dam/docs", excludedPaths=None, filter=None)

    assert not execution.excluded.exists()
    assert execution.file_types == []


def test_the_filter_is_kept_and_shown_in_the_status(api, post_json, tree):
    execution = start(
        api,
        post_json,
        path="/content/dam/docs",
        filter={
            "fileTypes": ["ditatopic", "MARKDOWN"],
            "filterProcessedAssets": True,
            "startTime": 1_700_000_000_000,
            "endTime": "1800000000000",
        },
    )

    status = api.get(f"{BASE}/status", {"processingId": str(execution.processing_id)}).json()
    assert status["filter"] == {
        "fileTypes": ["DITATOPIC", "MARKDOWN"],
        "filterProcessedAssets": True,
        "startTime": 1_700_000_000_000,
        "endTime": 1_800_000_000_000,
    }


def test_fields_it_does_not_know_are_refused_and_nothing_starts(api, post_json, tree):
    response = post_json(
        api,
        BASE,
        {"type": "ASSET_PROCESSING", "path": "/content/dam/docs", "priority": "high"},
    )

    assert response.status_code == 400
    assert response.json()["field"] == "priority"
    assert not Execution.objects.exists()


def test_an_execution_started_at_once_starts_no_earlier_than_it_was_created(api, post_json, tree):
    response = post_json(api, BASE, {"path": "/content/dam/docs", "type": "ASSET_PROCESSING"})
    status = api.get(f"{BASE}/status", {"processingId": response.json()["processingId"]}).json()

    assert status["status"] == ExecutionStatus.IN_PROGRESS
    assert status["startedAt"] >= status["createdAt"]
