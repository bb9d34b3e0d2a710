"""The whole life of an execution over HTTP, worked through in this process (no cluster)."""

import pytest

from guides_processor import executions
from tests.engine.trees import guide

from .conftest import BASE
from .lifecycle import all_pages, db_log, downloaded_log, status

pytestmark = pytest.mark.django_db


def run(processing_id: str) -> None:
    executions.execution_run_inline(processing_id=processing_id)


def test_start_follow_read_the_logs_restart_and_list(api, post_json, write_tree):
    write_tree(guide())
    started = post_json(
        api,
        BASE,
        {
            "path": "/content/dam/guide",
            "excludedPaths": ["content/dam/guide/images"],
            "type": "ASSET_PROCESSING",
        },
    )
    first = started.json()["processingId"]

    run(first)
    done = status(api, first)

    assert done["status"] == "SUCCESS"
    assert done["migrationSet"] == {"totalFiles": 4, "calculationStatus": "SUCCESS"}
    assert done["triggeredCount"] == 4
    assert done["completedAt"] >= done["startedAt"] > 0
    assert done["hasLogs"] is True
    assert (done["cancellable"], done["resumable"], done["restartable"]) == (False, False, True)

    entries = all_pages(api, first, limit=3)
    assert [entry["line"] for entry in entries] == list(range(done["logLineCount"]))
    tail = api.get(f"{BASE}/logs", {"processingId": first, "tail": 2}).json()
    assert tail["entries"] == entries[-2:]
    assert tail["offset"] == done["logLineCount"] - 2
    assert downloaded_log(api, first) == db_log(first)

    restarted = post_json(api, f"{BASE}/restart", {"processingId": first}).json()
    second = restarted["processingId"]
    assert restarted["restartedFrom"] == first
    assert restarted["excludedPaths"] == ["/content/dam/guide/images"]
    run(second)

    history = api.get(f"{BASE}/history", {"limit": "2"}).json()["executionHistory"]
    assert [item["processingId"] for item in history] == [second, first]
    assert history[0]["status"] == "SUCCESS"
