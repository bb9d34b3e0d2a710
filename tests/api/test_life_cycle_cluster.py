"""The whole life of executions over HTTP, worked by a real django-q2 cluster in another process."""

import pytest

from tests.engine.trees import guide, many

from .conftest import BASE
from .lifecycle import all_pages, db_log, downloaded_log, poll

pytestmark = [pytest.mark.cluster, pytest.mark.django_db(transaction=True)]


def test_a_client_drives_every_operation_against_a_running_cluster(
    api, post_json, write_tree, start_cluster
):
    write_tree({**guide(), **many(1500, "bulk")})
    start_cluster(GUIDES_BATCH_SIZE="10")

    # Start, and poll the status to SUCCESS.
    small = post_json(api, BASE, {"path": "content/dam/guide", "type": "ASSET_PROCESSING"})
    assert small.status_code == 200, small.content
    small_id = small.json()["processingId"]
    done = poll(api, small_id, {"SUCCESS"})
    assert done["triggeredCount"] == done["migrationSet"]["totalFiles"] == 5

    # Page the logs, tail them, download them: all three agree with the database.
    expected = db_log(small_id)
    entries = all_pages(api, small_id, limit=4)
    assert [f"{e['line']}\t" for e in entries] == [line.split("\t")[0] + "\t" for line in expected]
    assert [e["message"] for e in entries] == [line.split("\t", 3)[3] for line in expected]
    tail = api.get(f"{BASE}/logs", {"processingId": small_id, "tail": "3"}).json()
    assert tail["entries"] == entries[-3:]
    assert tail["hasMore"] is False
    assert downloaded_log(api, small_id) == expected

    # Cancel a running job, then resume it to the end.
    big_id = post_json(api, BASE, {"path": "/content/dam/bulk", "type": "ASSET_PROCESSING"}).json()[
        "processingId"
    ]
    poll(api, big_id, {"IN_PROGRESS"}, triggered=30)
    cancelling = post_json(api, f"{BASE}/cancel", {"processingId": big_id})
    assert cancelling.status_code == 200
    assert cancelling.json()["status"] in {"CANCELLING", "CANCELLED"}
    cancelled = poll(api, big_id, {"CANCELLED", "SUCCESS"}, timeout=15)
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["triggeredCount"] < 1500
    assert cancelled["resumable"] is True
    resumed = post_json(api, f"{BASE}/resume?processingId={big_id}")
    assert resumed.status_code == 200
    assert resumed.json()["processingId"] == big_id
    finished = poll(api, big_id, {"SUCCESS"}, timeout=120)
    assert finished["processedCount"] == 1500

    # Restart the finished small one: a new execution that also succeeds.
    restarted = post_json(api, f"{BASE}/restart", {"processingId": small_id})
    assert restarted.status_code == 200
    again_id = restarted.json()["processingId"]
    assert restarted.json()["restartedFrom"] == small_id
    poll(api, again_id, {"SUCCESS"})

    # History, newest first, limited.
    history = api.get(f"{BASE}/history", {"limit": 2}).json()["executionHistory"]
    assert [item["processingId"] for item in history] == [again_id, big_id]
    everything = api.get(f"{BASE}/history").json()["executionHistory"]
    assert [item["processingId"] for item in everything] == [again_id, big_id, small_id]
