"""Executions of one file: the path may name a file, its manifest is that file, and the asset
page's Reprocess starts one."""

import json
import os
from pathlib import Path

import pytest
from django.urls import reverse

from guides_processor import content, executions
from guides_processor.models import Asset, Execution, ExecutionItem, ExecutionSlot
from tests.engine.trees import guide, topic

from .conftest import HTMX

pytestmark = pytest.mark.django_db

SETUP = "/content/dam/guide/topics/setup.dita"


def run(path: str) -> Execution:
    execution = executions.execution_create(path=path, created_by="operator")
    return executions.execution_run_inline(processing_id=execution.processing_id)


def test_an_execution_of_one_file_processes_that_file_only(write_tree):
    write_tree(guide())
    execution = run(SETUP)

    assert execution.status == "SUCCESS"
    assert list(
        ExecutionItem.objects.filter(execution=execution).values_list("relpath", "state")
    ) == [("guide/topics/setup.dita", "DONE")]
    assert list(Asset.objects.values_list("relpath", flat=True)) == ["guide/topics/setup.dita"]
    assert execution.total_files == 1 and execution.processed_count == 1


def test_reprocess_this_asset_from_its_page(runner_client, write_tree):
    root = write_tree(guide())
    run("/content/dam/guide")
    (root / "guide/topics/setup.dita").write_text(topic("setup", "Set up again"))
    page = runner_client.get(reverse("guides_processor:asset_detail"), {"path": SETUP})
    assert 'id="asset-status">Pending' in page.content.decode()

    response = runner_client.post(
        reverse("guides_processor:asset_reprocess"), {"path": SETUP, "scope": "asset"}, **HTMX
    )

    assert response.status_code == 201
    execution = Execution.objects.order_by("-id").first()
    assert execution is not None
    assert execution.path == SETUP
    toast = json.loads(response["HX-Trigger"])["toast"]
    assert toast["url"] == reverse(
        "guides_processor:execution_detail", args=[execution.processing_id]
    )
    assert SETUP in toast["message"]
    executions.execution_run_inline(processing_id=execution.processing_id)
    page = runner_client.get(reverse("guides_processor:asset_detail"), {"path": SETUP})
    html = page.content.decode()
    assert 'id="asset-status">Processed' in html and "Set up again" in html
    history = html.split('id="asset-history"')[1].split("<tbody>")[1].split("</tbody>")[0]
    assert history.count("<tr>") == 2  # the folder's run and this one


def test_reprocess_while_the_folder_runs_is_refused_with_the_reason(runner_client, write_tree):
    write_tree(guide())
    run("/content/dam/guide")
    executions.execution_create(path="/content/dam/guide", created_by="operator")

    response = runner_client.post(
        reverse("guides_processor:asset_reprocess"), {"path": SETUP, "scope": "asset"}, **HTMX
    )

    assert response.status_code == 409
    assert json.loads(response["HX-Trigger"])["toast"]["level"] == "error"


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/content/dam/guide/topics/none.dita", "does not exist"),
        ("/content/dam/guide/link.dita", "symbolic link"),
        ("/content/dam/guide/guide.ditamap/x", "is not a folder"),
    ],
)
def test_a_file_path_that_cannot_be_processed_is_invalid_input(write_tree, path, words):
    root = write_tree(guide())
    os.symlink(root / "guide/topics/setup.dita", root / "guide/link.dita")

    with pytest.raises(executions.InvalidInput) as error:
        executions.execution_create(path=path, created_by="operator")

    assert words in error.value.message and error.value.field == "path"


def test_a_file_execution_cannot_exclude_anything(write_tree):
    write_tree(guide())
    with pytest.raises(executions.InvalidInput) as error:
        executions.execution_create(
            path=SETUP, excluded_paths=[SETUP + "/x"], created_by="operator"
        )
    assert error.value.field == "excludedPaths[0]"


def test_the_walk_of_one_file_resumes_past_it(write_tree):
    root: Path = write_tree(guide())
    entries = list(content.walk(root, "guide/topics/setup.dita"))
    assert [entry.relpath for entry in entries] == ["guide/topics/setup.dita"]
    assert list(content.walk(root, "guide/topics/setup.dita", after=entries[0].cursor)) == []


def test_a_cancelled_execution_of_one_file_can_be_resumed(write_tree):
    write_tree(guide())
    execution = executions.execution_create(path=SETUP, created_by="operator")
    ExecutionSlot.objects.filter(execution=execution).update(heartbeat_at=None)
    executions.execution_cancel(processing_id=execution.processing_id, by="operator")

    resumed = executions.execution_resume(processing_id=execution.processing_id, by="operator")
    finished = executions.execution_run_inline(processing_id=resumed.processing_id)

    assert finished.status == "SUCCESS" and finished.processed_count == 1
