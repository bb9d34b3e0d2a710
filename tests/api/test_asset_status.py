"""POST/GET /assets/status: the processing status of each asset under some paths."""

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from guides_processor import executions
from guides_processor.models import Execution, ExecutionItem, ExecutionStatus, ItemState
from tests.engine.trees import guide, topic

from .conftest import basic, basic_client

STATUS = "/bin/guides/v1/assets/status"
README = Path(__file__).resolve().parents[2] / "README.md"


def run(path: str) -> Execution:
    execution = executions.execution_create(path=path, created_by="admin")
    return executions.execution_run_inline(processing_id=execution.processing_id)


def job(client, post_json, paths, excluded=()) -> str:
    response = post_json(client, STATUS, {"paths": paths, "excludedPaths": list(excluded)})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "WAITING"
    return str(body["jobId"])


def statuses(client, job_id: str, **params) -> dict[str, Any]:
    response = client.get(STATUS, {"jobId": job_id, **params})
    assert response.status_code == 200, response.content
    answer: dict[str, Any] = response.json()
    return answer


@pytest.fixture
def processed(write_tree, db) -> Path:
    """The guide processed with one failing topic; then a file added, one changed, one deleted."""
    root = write_tree(guide())
    write_tree({"guide/topics/broken.dita": "<concept id='x'><title>Unclosed</concept>"})
    run("/content/dam/guide")
    write_tree({"guide/topics/new.dita": topic("new", "New")})
    changed = root / "guide/topics/setup.dita"
    changed.write_text(changed.read_text() + "\n")
    os.utime(changed, (1, 1))
    os.remove(root / "guide/topics/faq.dita")
    return Path(root)


def test_each_asset_has_its_status_uuid_and_presence(api, post_json, processed):
    body = statuses(api, job(api, post_json, ["content/dam/guide"]))
    found = {item["path"]: item for item in body["assets"]}
    base = "/content/dam/guide/"
    assert found[base + "topics/intro.dita"]["status"] == "SUCCESS"
    assert found[base + "topics/broken.dita"]["status"] == "FAILURE"
    assert found[base + "topics/new.dita"] == {
        "path": base + "topics/new.dita",
        "uuid": None,
        "status": "PENDING",
        "exists": True,
    }
    assert found[base + "topics/setup.dita"]["status"] == "PENDING"  # changed since
    assert found[base + "topics/faq.dita"]["exists"] is False
    assert found[base + "topics/faq.dita"]["status"] == "SUCCESS"
    assert re.fullmatch(r"[0-9a-f-]{36}", found[base + "topics/intro.dita"]["uuid"])
    assert list(found) == sorted(found)
    assert body["counts"] == {"SUCCESS": 4, "FAILURE": 1, "PROCESSING": 0, "PENDING": 2}
    assert body["hasMore"] is False and body["next"] is None


def test_an_asset_held_by_an_active_execution_is_processing(api, post_json, processed):
    active = Execution.objects.create(
        path="/content/dam/guide/topics", created_by="admin", status=ExecutionStatus.IN_PROGRESS
    )
    ExecutionItem.objects.create(execution=active, relpath="guide/topics/intro.dita")
    ExecutionItem.objects.create(
        execution=active, relpath="guide/topics/new.dita", state=ItemState.DONE
    )
    body = statuses(api, job(api, post_json, ["/content/dam/guide/topics/intro.dita"]))
    assert [(item["path"], item["status"]) for item in body["assets"]] == [
        ("/content/dam/guide/topics/intro.dita", "PROCESSING")
    ]
    Execution.objects.filter(pk=active.pk).update(status=ExecutionStatus.CANCELLED)
    body = statuses(api, job(api, post_json, ["/content/dam/guide/topics/intro.dita"]))
    assert body["assets"][0]["status"] == "SUCCESS"


def test_excluded_folders_and_several_paths(api, post_json, processed, write_tree):
    write_tree({"guide/images/more.png": b"\x89PNG"})
    job_id = job(
        api,
        post_json,
        ["/content/dam/guide/topics", "/content/dam/guide/guide.ditamap", "/content/dam/guide"],
        excluded=["/content/dam/guide/topics"],
    )
    paths = [item["path"] for item in statuses(api, job_id)["assets"]]
    assert paths == [
        "/content/dam/guide/guide.ditamap",
        "/content/dam/guide/images/logo.png",
        "/content/dam/guide/images/more.png",
    ]


def test_a_folder_gone_from_disk_lists_its_processed_assets_as_gone(api, post_json, processed):
    shutil.rmtree(processed / "guide/topics")
    body = statuses(api, job(api, post_json, ["/content/dam/guide/topics"]))
    assert {item["exists"] for item in body["assets"]} == {False}
    assert len(body["assets"]) == 4  # intro, setup, faq, broken: processed once


def test_pages_by_cursor_and_offset_cover_every_asset_once(api, post_json, processed):
    job_id = job(api, post_json, ["/content/dam"])
    everything = [item["path"] for item in statuses(api, job_id)["assets"]]
    seen, after = [], None
    while True:
        params = {"limit": 2, "counts": "false", **({"after": after} if after else {})}
        body = statuses(api, job_id, **params)
        assert body["counts"] is None
        seen += [item["path"] for item in body["assets"]]
        if not body["hasMore"]:
            break
        after = body["next"]
    assert seen == everything and len(everything) == 7
    body = statuses(api, job_id, offset=5, limit=10)
    assert [item["path"] for item in body["assets"]] == everything[5:]


def test_a_reader_may_ask_an_outsider_may_not(staff, outsider, post_json, processed):
    reader = basic_client(staff)
    assert statuses(reader, job(reader, post_json, ["/content/dam/guide"]))["assets"]
    response = post_json(basic_client(outsider), STATUS, {"paths": ["/content/dam"]})
    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"paths": ["/etc/passwd"]}, "paths[0]"),
        ({"paths": ["/content/dam/a/../b"]}, "paths[0]"),
        ({"paths": []}, "paths"),
        ({"paths": ["/content/dam"], "excludedPaths": ["/tmp"]}, "excludedPaths[0]"),
        ({"paths": [3]}, "paths[0]"),
        ({}, "paths"),
        ({"paths": ["/content/dam"], "excludePaths": ["/content/dam/a"]}, "excludePaths"),
    ],
)
def test_bad_paths_are_refused_naming_the_field(api, post_json, db, body, field):
    response = post_json(api, STATUS, body)
    assert response.status_code == 400
    assert response.json()["error"] == "INVALID_INPUT"
    assert response.json()["field"] == field


def test_an_unknown_job_is_a_404(api, db):
    for job_id in ("nope", "00000000-0000-0000-0000-000000000000"):
        response = api.get(STATUS, {"jobId": job_id})
        assert response.status_code == 404
        assert response.json()["error"] == "NOT_FOUND"


def _recipe() -> str:
    """The README's CI recipe, as written there."""
    text = README.read_text()
    section = text.split("#### Publish only after content is fully processed", 1)[1]
    return section.split("```sh\n", 1)[1].split("```", 1)[0]


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl, jq")
def test_the_readme_ci_recipe_waits_until_everything_is_processed(
    live_server, admin, write_tree, transactional_db
):
    write_tree(guide())
    env = {
        **os.environ,
        "GUIDES_URL": live_server.url,
        "GUIDES_AUTH": "admin:correct horse battery staple",
        "GUIDES_PATHS": '["/content/dam/guide"]',
        "POLL_TRIES": "1",
        "POLL_SECONDS": "0",
    }
    assert basic("admin")  # the same credentials the API tests use
    waiting = subprocess.run(
        ["bash", "-c", _recipe()], env=env, capture_output=True, text=True, timeout=60
    )
    assert waiting.returncode == 1, waiting.stderr
    assert "not fully processed" in waiting.stderr
    run("/content/dam/guide")
    # The guide has no failing asset: once processed, nothing is pending, processing or failed.
    done = subprocess.run(
        ["bash", "-c", _recipe()], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "fully processed" in done.stdout


def test_a_page_after_a_cursor_does_not_list_its_folder_again(
    api, post_json, write_tree, monkeypatch
):
    root = Path(
        write_tree({f"flat/t{index:04d}.dita": topic(f"t{index}", "T") for index in range(300)})
    )
    flat = root / "flat"
    os.utime(flat, (1_000_000, 1_000_000))  # settled: its listing may be kept
    listed: list[str] = []
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if os.fspath(path).startswith(str(root)):
            listed.append(os.fspath(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    job_id = job(api, post_json, ["/content/dam/flat"])
    first = statuses(api, job_id, limit=5, counts="false")
    assert listed == [str(flat)]
    second = statuses(api, job_id, limit=5, counts="false", after=first["next"])
    # Found by bisection in the listing kept from the first page: the folder is not read again.
    assert listed == [str(flat)]
    assert [item["path"] for item in second["assets"]] == [
        f"/content/dam/flat/t{index:04d}.dita" for index in range(5, 10)
    ]
    # A new entry changes the folder's mtime: the next page lists the folder afresh.
    write_tree({"flat/t0007a.dita": topic("t7a", "T")})
    os.utime(flat, (2_000_000, 2_000_000))
    again = statuses(api, job_id, limit=5, counts="false", after=first["next"])
    assert len(listed) == 2
    assert "/content/dam/flat/t0007a.dita" in [item["path"] for item in again["assets"]]
    # Changed just now (within one tick of the clock, maybe): read on every page, never kept.
    write_tree({"flat/t0008a.dita": topic("t8a", "T")})
    for _ in range(2):
        page = statuses(api, job_id, limit=10, counts="false", after=first["next"])
        assert "/content/dam/flat/t0008a.dita" in [item["path"] for item in page["assets"]]
    assert len(listed) == 4


def test_a_job_of_many_paths_lists_what_they_hold_in_order(api, post_json, processed, content_root):
    # 9,998 empty folders, given before the two paths that hold assets, and a file given
    # beside its folder: the folder's files come in relpath order, each once.
    for index in range(9_998):
        (content_root / "none" / str(index)).mkdir(parents=True)
    nothing = [f"/content/dam/none/{index}" for index in range(9_998)]
    paths = [*nothing, "/content/dam/guide/topics", "/content/dam/guide/topics/intro.dita"]
    body = statuses(api, job(api, post_json, paths), limit=100)
    listed = [item["path"] for item in body["assets"]]
    assert listed == sorted(listed)
    assert [path.rsplit("/", 1)[1] for path in listed] == [
        "broken.dita",
        "faq.dita",
        "intro.dita",
        "new.dita",
        "setup.dita",
    ]
    assert sum(body["counts"].values()) == 5


@pytest.mark.parametrize("field", ["paths", "excludedPaths"])
def test_a_job_of_more_than_ten_thousand_paths_is_refused(api, post_json, db, field):
    many = [f"/content/dam/none/{index}" for index in range(10_001)]
    body = {"paths": ["/content/dam"], field: many}

    response = post_json(api, STATUS, body)

    assert response.status_code == 400
    assert response.json()["field"] == field
    assert "10,001 given, at most 10,000" in response.json()["message"]


def test_files_given_one_by_one_gone_or_not_are_listed_with_their_presence(
    api, post_json, processed
):
    base = "/content/dam/guide/"
    # A file never processed and not on disk is refused (tests/graph/test_unknown_paths.py).
    paths = [base + "topics/faq.dita", base + "guide.ditamap"]

    body = statuses(api, job(api, post_json, paths))

    assert [(item["path"], item["exists"]) for item in body["assets"]] == [
        (base + "guide.ditamap", True),
        (base + "topics/faq.dita", False),
    ]


def test_a_name_that_is_not_utf8_is_left_out_as_processing_leaves_it_out(
    api, post_json, write_tree, content_root
):
    write_tree({"odd/good.dita": topic("good", "Good")})
    bad = os.path.join(os.fsencode(content_root / "odd"), b"caf\xe9.dita")
    with open(bad, "wb") as handle:
        handle.write(topic("cafe", "Cafe").encode())
    assert run("/content/dam/odd").status == "SUCCESS"

    body = statuses(api, job(api, post_json, ["/content/dam/odd"]), counts="true")

    assert [item["path"] for item in body["assets"]] == ["/content/dam/odd/good.dita"]
    assert body["counts"] == {"SUCCESS": 1, "FAILURE": 0, "PROCESSING": 0, "PENDING": 0}


def test_an_empty_file_is_recorded_so_that_neither_a_job_nor_the_catch_up_waits_on_it(
    api, post_json, write_tree, content_root
):
    from guides_processor.executions.catchup import catchup_scan
    from guides_processor.models import Asset, Reference

    root = write_tree(
        {
            "e/good.dita": topic("good", "Good", '<xref href="full.dita"/>'),
            "e/empty.dita": "",
            "e/full.dita": topic("full", "Full", '<xref href="good.dita"/>'),
        }
    )
    first = run("/content/dam/e")
    assert (first.processed_count, first.skipped_count) == (2, 1)
    assert Reference.objects.filter(asset__relpath="e/full.dita").count() == 1

    # The file emptied since: its asset says so, its reference is gone.
    (root / "e/full.dita").write_text("")
    second = run("/content/dam/e")
    assert (second.processed_count, second.skipped_count) == (1, 2)

    empty = Asset.objects.get(relpath="e/empty.dita")
    assert (empty.status, empty.size, empty.deleted_at) == ("SUCCESS", 0, None)
    assert Asset.objects.get(relpath="e/full.dita").size == 0
    assert not Reference.objects.filter(asset__relpath="e/full.dita").exists()
    body = statuses(api, job(api, post_json, ["/content/dam/e"]), counts="true")
    assert body["counts"] == {"SUCCESS": 3, "FAILURE": 0, "PROCESSING": 0, "PENDING": 0}
    changes = catchup_scan(paths=["/content/dam/e"])
    assert (changes.new, changes.changed, changes.deleted) == (0, 0, 0)
    # Nor is it read again by a rerun that skips what is unchanged.
    third = executions.execution_run_inline(
        processing_id=executions.execution_create(
            path="/content/dam/e", created_by="admin", filter_processed_assets=True
        ).processing_id
    )
    assert (third.total_files, third.processed_count, third.skipped_count) == (3, 0, 3)


@pytest.mark.parametrize(
    ("excluded", "words"),
    [
        (["/content/dam/guide/topcs"], "excludedPaths[0]: /content/dam/guide/topcs does not exist"),
        (["/content/dam/guide/topics", "/content/dam/other"], "excludedPaths[1]: "),
        (["/content/dam/guide"], "excludedPaths[0]: /content/dam/guide is not inside any"),
    ],
)
def test_an_excluded_path_that_leaves_nothing_out_is_refused_as_a_start_would(
    api, post_json, processed, write_tree, excluded, words
):
    write_tree({"other/x.dita": topic("x", "X")})

    response = post_json(api, STATUS, {"paths": ["/content/dam/guide"], "excludedPaths": excluded})

    assert response.status_code == 400, response.content
    assert response.json()["message"].startswith(words)
    assert response.json()["field"] == words.split(":")[0]
