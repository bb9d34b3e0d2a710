"""The dry run counts a symbolic link as the run does: skipped (never followed), in the total,
neither typed nor listed among the files to process.

The tree, by hand: ``edge/a.dita`` (a topic) and ``edge/sub/link.dita -> ../a.dita``. A run
processes a.dita and writes the link skipped: 2 in its total, 1 processed, 1 skipped.
"""

import base64
import json
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from guides_processor import executions
from guides_processor.executions.preview import execution_preview
from guides_processor.models import Execution, ExecutionItem, ItemState

from .steps import run
from .trees import topic

pytestmark = pytest.mark.django_db

PATH = "/content/dam/edge"


@pytest.fixture
def edge(write_tree) -> Path:
    root = write_tree({"edge/a.dita": topic("a", "A")})
    (root / "edge/sub").mkdir()
    os.symlink("../a.dita", root / "edge/sub/link.dita")
    return Path(root)


def run_of(file_types: list[str]) -> Execution:
    execution = executions.execution_create(path=PATH, created_by="tester", file_types=file_types)
    return run(execution)


def test_a_link_is_previewed_as_skipped_as_the_run_skips_it(edge):
    preview = execution_preview(path=PATH)

    assert preview["totalFiles"] == 2
    assert preview["byType"] == {"DITATOPIC": 1}
    assert preview["skippedFiles"] == 1
    assert preview["sample"] == [f"{PATH}/a.dita"]

    finished = run_of([])
    assert (finished.total_files, finished.processed_count, finished.skipped_count) == (2, 1, 1)
    assert ExecutionItem.objects.get(relpath="edge/sub/link.dita").state == ItemState.SKIPPED


@pytest.mark.parametrize(
    ("file_types", "total", "processed", "excluded"),
    [(["OTHERS"], 1, 0, 1), (["DITATOPIC"], 2, 1, 0)],
)
def test_with_a_type_filter_a_link_is_still_skipped_never_to_process(
    edge, file_types, total, processed, excluded
):
    preview = execution_preview(path=PATH, file_types=file_types)

    finished = run_of(file_types)
    assert (finished.total_files, finished.processed_count) == (total, processed)
    assert finished.skipped_count == preview["skippedFiles"] == 1
    assert preview["totalFiles"] == total
    assert sum(preview["byType"].values()) == processed
    assert set(preview["byType"]) <= set(file_types)
    assert f"{PATH}/sub/link.dita" not in preview["sample"]
    assert preview["excludedFiles"] == excluded


def test_the_api_dry_run_neither_types_nor_lists_a_link(edge, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    User.objects.create_superuser("admin", "admin@example.com", "pw")
    token = base64.b64encode(b"admin:pw").decode()
    client = Client(headers={"Authorization": f"Basic {token}"})

    response = client.post(
        "/bin/guides/v1/assets/process",
        data=json.dumps({"path": PATH, "type": "ASSET_PROCESSING", "dryRun": True}),
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["totalFiles"], body["byType"]) == (2, {"DITATOPIC": 1})
    assert body["sample"] == [f"{PATH}/a.dita"]
    assert body["skippedFiles"] == 1
    assert not Execution.objects.exists()
