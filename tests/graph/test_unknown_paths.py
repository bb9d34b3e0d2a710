"""A path that names nothing (a typo: never on disk, nothing ever processed under it) is refused by
the broken-links report (API and console) and by the status job, where an empty answer would read
as "no broken links" or "fully processed" to a CI job. A path gone from disk whose assets were
processed is still accepted.

The tree, by hand: ``guide/a.dita`` has one broken link (``missing.dita``), ``guide/old/b.dita``
another (``gone.dita``); ``empty`` is an empty folder. All of it is processed once.
"""

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from guides_processor import executions
from guides_processor.models import Asset, ExecutionStatus
from guides_processor.selectors.asset_status import first_unknown_path
from tests.engine.trees import topic

REPORT = "/bin/guides/v1/reports/broken-links"
STATUS = "/bin/guides/v1/assets/status"
TYPO = "/content/dam/guide-typo"
PASSWORD = "correct horse battery staple"
README = Path(__file__).resolve().parents[2] / "README.md"


def processed_tree(write_tree: Any) -> Path:
    root = write_tree(
        {
            "guide/a.dita": topic("a", "A", '<xref href="missing.dita"/>'),
            "guide/old/b.dita": topic("b", "B", '<xref href="gone.dita"/>'),
        }
    )
    (root / "empty").mkdir()
    execution = executions.execution_create(path="/content/dam", created_by="admin")
    finished = executions.execution_run_inline(processing_id=execution.processing_id)
    assert finished.status == ExecutionStatus.SUCCESS
    assert finished.broken_reference_count == 2
    return Path(root)


@pytest.fixture
def tree(write_tree, db) -> Path:
    return processed_tree(write_tree)


@pytest.fixture
def admin(db) -> User:
    return User.objects.create_superuser("admin", "admin@example.com", PASSWORD)


@pytest.fixture
def api(admin, settings) -> Client:
    """The admin, as a script with ``curl -u``."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    admin.set_password(PASSWORD)
    admin.save()
    token = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    return Client(headers={"Authorization": f"Basic {token}"})


@pytest.fixture
def console(db) -> Client:
    """A signed-in reader of the console."""
    client = Client()
    client.force_login(User.objects.create_user("reviewer", password="pw", is_staff=True))
    return client


def post_status(api: Client, paths: list[str]) -> Any:
    return api.post(STATUS, data=json.dumps({"paths": paths}), content_type="application/json")


# --- the broken-links report, API ---------------------------------------------------------------


@pytest.mark.parametrize("format", ["json", "csv", "junit"])
def test_the_report_of_a_path_that_names_nothing_is_a_404_naming_it(api, tree, format):
    response = api.get(REPORT, {"path": TYPO, "format": format})

    assert response.status_code == 404
    body = response.json()
    assert (body["error"], body["field"]) == ("NOT_FOUND", "path")
    assert f"{TYPO} does not exist." in body["message"]


def test_the_report_of_a_folder_gone_from_disk_lists_what_was_processed_under_it(api, tree):
    shutil.rmtree(tree / "guide/old")

    body = api.get(REPORT, {"path": "/content/dam/guide/old"}).json()

    assert body["total"] == 1
    assert [link["value"] for link in body["links"]] == ["gone.dita"]


def test_the_report_of_a_folder_on_disk_with_nothing_broken_is_empty_not_missing(api, tree):
    response = api.get(REPORT, {"path": "/content/dam/empty", "format": "junit"})

    assert response.status_code == 200
    assert b"<testcase" not in b"".join(response.streaming_content)
    assert api.get(REPORT, {"path": "/content/dam/guide"}).json()["total"] == 2


# --- the broken-links report, console -----------------------------------------------------------


@pytest.mark.parametrize("name", ["broken_links", "broken_links_csv"])
def test_the_console_report_of_a_path_that_names_nothing_is_a_404_as_on_the_assets_page(
    console, tree, name
):
    response = console.get(reverse(f"guides_processor:{name}"), {"folder": TYPO})

    assert response.status_code == 404
    assert f"{TYPO} does not exist." in response.content.decode()
    assert "No broken links" not in response.content.decode()
    assets = console.get(reverse("guides_processor:assets"), {"folder": TYPO})
    assert assets.status_code == 404 and f"{TYPO} does not exist." in assets.content.decode()


def test_the_console_report_of_a_folder_gone_from_disk_still_shows_it(console, tree):
    shutil.rmtree(tree / "guide")

    response = console.get(
        reverse("guides_processor:broken_links"), {"folder": "/content/dam/guide"}
    )

    assert response.status_code == 200
    assert '<span id="broken-total">2</span>' in response.content.decode()


# --- the status job -----------------------------------------------------------------------------


def test_a_status_job_naming_a_path_that_names_nothing_is_refused_naming_it(api, tree):
    response = post_status(api, ["/content/dam/guide", TYPO])

    assert response.status_code == 400
    body = response.json()
    assert (body["error"], body["field"]) == ("INVALID_INPUT", "paths[1]")
    assert f"paths[1]: {TYPO} does not exist." in body["message"]


def test_a_status_job_takes_paths_on_disk_or_gone_with_their_processed_assets(api, tree):
    shutil.rmtree(tree / "guide/old")  # a folder gone, whose b.dita was processed
    paths = [
        "/content/dam",
        "/content/dam/empty",
        "/content/dam/guide/a.dita",
        "/content/dam/guide/old",
        "/content/dam/guide/old/b.dita",  # a file gone, processed once
    ]

    response = post_status(api, paths)

    assert response.status_code == 200, response.content
    body = api.get(STATUS, {"jobId": response.json()["jobId"]}).json()
    assert [(item["path"], item["exists"]) for item in body["assets"]] == [
        ("/content/dam/guide/a.dita", True),
        ("/content/dam/guide/old/b.dita", False),
    ]


def test_a_file_never_processed_and_not_on_disk_is_refused_too(api, tree):
    response = post_status(api, ["/content/dam/guide/a.dita", "/content/dam/guide/never.dita"])

    assert response.status_code == 400
    assert response.json()["field"] == "paths[1]"


def test_the_first_of_ten_thousand_paths_that_names_nothing_is_found_in_few_queries(
    tree, django_assert_max_num_queries
):
    # 9,999 files gone from disk, each processed once, then the typo: the check looks at them
    # 500 at a time, with one query for each 500, not one for each path.
    Asset.objects.bulk_create(
        Asset(relpath=f"many/t{index:04d}.dita", asset_type="DITATOPIC", status="SUCCESS",
              processed_at="2026-01-01T00:00:00Z")
        for index in range(9_999)
    )  # fmt: skip
    paths = [f"/content/dam/many/t{index:04d}.dita" for index in range(9_999)] + [TYPO]

    with django_assert_max_num_queries(25):
        found = first_unknown_path(root=tree, paths=paths)

    assert found == (9_999, f"{TYPO} does not exist.")


@pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="needs curl, jq")
def test_the_readme_ci_recipe_fails_loudly_on_a_path_that_names_nothing(
    live_server, write_tree, transactional_db, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    User.objects.create_superuser("admin", "admin@example.com", PASSWORD)
    processed_tree(write_tree)
    section = README.read_text().split("#### Publish only after content is fully processed")[1]
    recipe = section.split("```sh\n", 1)[1].split("```", 1)[0]
    env = {
        **os.environ,
        "GUIDES_URL": live_server.url,
        "GUIDES_AUTH": f"admin:{PASSWORD}",
        "GUIDES_PATHS": json.dumps([TYPO]),
        "POLL_TRIES": "2",
        "POLL_SECONDS": "0",
    }

    typo = subprocess.run(
        ["bash", "-c", recipe], env=env, capture_output=True, text=True, timeout=60
    )

    assert typo.returncode == 1, typo.stdout + typo.stderr
    assert "fully processed" not in typo.stdout
    assert f"{TYPO} does not exist." in typo.stderr
    assert "waiting" not in typo.stderr  # refused at once, not polled
    env["GUIDES_PATHS"] = json.dumps(["/content/dam/guide"])
    done = subprocess.run(
        ["bash", "-c", recipe], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Content fully processed." in done.stdout
