"""POST /bin/guides/v1/assets/process with dryRun: what a run would process, without creating one,
counted exactly as the run's calculation counts it."""

import os
from datetime import UTC, datetime
from typing import Any

import pytest

from guides_processor import executions
from guides_processor.devtools.demo import generate_demo_content
from guides_processor.models import Execution

URL = "/bin/guides/v1/assets/process"


def preview(api, post_json, body: dict[str, Any]) -> dict[str, Any]:
    response = post_json(api, URL, {"type": "ASSET_PROCESSING", "dryRun": True, **body})
    assert response.status_code == 200, response.content
    found: dict[str, Any] = response.json()
    assert found["dryRun"] is True
    return found


def calculated(body: dict[str, Any]) -> Execution:
    """The real execution of the same request, its calculation run (the walk and the filter)."""
    options = body.get("filter", {})
    execution = executions.execution_create(
        path=body["path"],
        created_by="tester",
        excluded_paths=body.get("excludedPaths", []),
        file_types=options.get("fileTypes", []),
        filter_processed_assets=options.get("filterProcessedAssets", False),
        start_time=options.get("startTime"),
        end_time=options.get("endTime"),
    )
    return executions.execution_calculate(processing_id=execution.processing_id)


def epoch_ms(year: int, month: int, day: int) -> int:
    return int(datetime(year, month, day, tzinfo=UTC).timestamp() * 1000)


REQUESTS = [
    {"path": "/content/dam"},
    {"path": "/content/dam/products", "excludedPaths": ["/content/dam/products/data-vault"]},
    {"path": "/content/dam", "filter": {"fileTypes": ["DITAMAP", "DITAVAL"]}},
    {
        "path": "/content/dam",
        "excludedPaths": ["/content/dam/common"],
        "filter": {"fileTypes": ["DITATOPIC"], "startTime": epoch_ms(2024, 1, 1)},
    },
]


@pytest.fixture
def demo(content_root):
    generate_demo_content(content_root, files=300)
    # Half the files old, half new, so that a time window leaves some out.
    for index, path in enumerate(sorted(p for p in content_root.rglob("*") if p.is_file())):
        stamp = datetime(2020 if index % 2 else 2025, 6, 1, tzinfo=UTC).timestamp()
        os.utime(path, (stamp, stamp))
    return content_root


@pytest.mark.django_db
@pytest.mark.parametrize("body", REQUESTS, ids=["all", "excluded", "types", "types-window"])
def test_a_preview_of_the_demo_repository_counts_what_the_run_counts(api, post_json, demo, body):
    found = preview(api, post_json, body)
    assert not Execution.objects.exists()

    run = calculated(body)
    assert found["totalFiles"] == run.total_files
    assert sum(found["byType"].values()) == run.total_files
    assert found["sample"] == [
        f"/content/dam/{relpath}"
        for relpath in run.items.order_by("id").values_list("relpath", flat=True)[:20]
    ]
    if "filter" in body:
        assert found["excludedFiles"] > 0
    if "fileTypes" in body.get("filter", {}):
        assert set(found["byType"]) <= set(body["filter"]["fileTypes"])


@pytest.mark.django_db
def test_a_preview_counts_the_files_a_rerun_would_skip_as_processed(api, post_json, demo):
    first = executions.execution_create(path="/content/dam/common", created_by="tester")
    executions.execution_run_inline(processing_id=first.processing_id)
    changed = sorted((demo / "common").rglob("*.dita"))[0]
    changed.write_text(changed.read_text() + "\n")
    body = {"path": "/content/dam", "filter": {"filterProcessedAssets": True}}

    found = preview(api, post_json, body)
    assert Execution.objects.count() == 1

    rerun = executions.execution_run_inline(processing_id=calculated(body).processing_id)
    assert found["totalFiles"] == rerun.total_files
    assert found["skippedAsProcessed"] == rerun.skipped_count > 0
    assert found["totalFiles"] - found["skippedAsProcessed"] == rerun.processed_count + (
        rerun.failed_count
    )


@pytest.mark.django_db
def test_a_preview_of_the_corpus_counts_what_the_run_counts(api, post_json, corpus, settings):
    settings.GUIDES_CONTENT_ROOT = corpus
    folders = sorted(p.name for p in corpus.iterdir() if p.is_dir() and p.name[0] != ".")
    bodies: list[dict[str, Any]] = [
        {"path": "/content/dam"},
        {"path": "/content/dam", "excludedPaths": [f"/content/dam/{folders[0]}"]},
        {"path": "/content/dam", "filter": {"fileTypes": ["DITAMAP", "MARKDOWN"]}},
    ]
    for body in bodies:
        found = preview(api, post_json, body)
        run = calculated(body)
        assert found["totalFiles"] == run.total_files, body
        executions.execution_cancel_abandoned(processing_id=run.processing_id, by="tester")


@pytest.mark.django_db
def test_a_preview_of_a_bad_request_is_refused_as_a_start_would_be(api, post_json, demo):
    response = post_json(
        api, URL, {"type": "ASSET_PROCESSING", "dryRun": True, "path": "/content/dam/nowhere"}
    )
    assert response.status_code == 400
    assert response.json()["field"] == "path"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["ftp://x", "http://[::1", "https://hooks.example/ci"])
def test_a_preview_refuses_a_notify_address_as_a_start_would(api, post_json, demo, url, settings):
    settings.GUIDES_WEBHOOK_SECRET = ""  # the last address is refused for want of a secret
    body = {"type": "ASSET_PROCESSING", "path": "/content/dam", "notify": {"url": url}}

    start = post_json(api, URL, body)
    dry = post_json(api, URL, {**body, "dryRun": True})

    assert start.status_code == dry.status_code == 400
    assert start.json() == dry.json()
    assert dry.json()["field"] == "notify.url"
    assert not Execution.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("flag", ["dryRun", "filterProcessedAssets"])
@pytest.mark.parametrize("value", ["no", "yes", 0, 1])
def test_a_flag_that_is_not_true_or_false_is_refused_and_starts_nothing(
    api, post_json, demo, flag, value
):
    body: dict[str, Any] = {"type": "ASSET_PROCESSING", "path": "/content/dam"}
    if flag == "dryRun":
        body["dryRun"] = value
    else:
        body["filter"] = {"filterProcessedAssets": value}

    response = post_json(api, URL, body)

    assert response.status_code == 400
    assert response.json()["error"] == "INVALID_INPUT"
    assert flag in response.json()["field"]
    assert not Execution.objects.exists()
