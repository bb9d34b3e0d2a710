"""The New Process dialog: the folder picker's fragment, creating, and errors said in words."""

import json

import pytest
from django.urls import reverse

from guides_processor.models import Execution

from .conftest import HTMX

pytestmark = pytest.mark.django_db

CREATE = reverse("guides_processor:execution_create")
FOLDERS = reverse("guides_processor:folders")


@pytest.fixture
def tree(write_tree):
    return write_tree(
        {
            "guide/topics/a.dita": "<topic id='a'><title>A</title></topic>",
            "guide/drafts/b.dita": "<topic id='b'><title>B</title></topic>",
            "guide/archive/old/c.dita": "<topic id='c'><title>C</title></topic>",
            "other/d.md": "# D",
        }
    )


def test_the_page_of_a_runner_has_the_dialog_with_the_root_folder(runner_client):
    html = runner_client.get(reverse("guides_processor:executions")).content.decode()

    assert "New Process" in html
    assert '<dialog id="new-process"' in html
    assert 'data-path="/content/dam"' in html
    for asset_type in ("DITATOPIC", "DITAMAP", "DITAVAL", "MARKDOWN", "HTML/CSS", "OTHERS"):
        assert f'value="{asset_type}"' in html
    assert "Skip assets already processed" in html


def test_the_picker_lists_sub_folders_one_level_at_a_time(runner_client, tree):
    html = runner_client.get(FOLDERS, {"path": "/content/dam/guide"}, **HTMX).content.decode()

    for name in ("archive", "drafts", "topics"):
        assert f'data-path="/content/dam/guide/{name}"' in html
    assert 'data-path="/content/dam/guide/archive/old"' not in html  # loaded when opened
    archive = html.split('data-path="/content/dam/guide/archive"')[1].split("</li>")[0]
    assert 'aria-expanded="false"' in archive  # it has children to open
    drafts = html.split('data-path="/content/dam/guide/drafts"')[1].split("</li>")[0]
    assert "aria-expanded" not in drafts
    assert 'aria-level="3"' in html


def test_the_picker_sends_a_large_folder_a_page_at_a_time(runner_client, content_root):
    for index in range(1000):
        (content_root / "big" / f"f{index:04d}").mkdir(parents=True)

    first = runner_client.get(FOLDERS, {"path": "/content/dam/big"}).content.decode()

    assert first.count('role="treeitem"') == 201  # 200 folders and "Show more"
    assert "Show 800 more folders" in first
    more = first.split('data-more="')[1].split('"')[0].replace("&amp;", "&")
    second = runner_client.get(more).content.decode()
    assert 'data-path="/content/dam/big/f0200"' in second


def test_the_picker_says_why_a_folder_cannot_be_listed(runner_client, tree):
    html = runner_client.get(FOLDERS, {"path": "/content/dam/gone"}).content.decode()

    assert "/content/dam/gone does not exist." in html


def test_create_answers_with_the_toast_and_refreshes_the_table(runner_client, tree):
    response = runner_client.post(
        CREATE,
        {
            "path": "/content/dam/guide",
            "excluded_paths": ["/content/dam/guide/drafts", "/content/dam/guide/archive"],
            "file_types": ["DITATOPIC", "MARKDOWN"],
            "filter_processed_assets": "true",
        },
        **HTMX,
    )

    assert response.status_code == 201
    triggers = json.loads(response["HX-Trigger"])
    assert triggers["toast"]["message"] == "Process triggered successfully"
    assert "executions-changed" in triggers
    execution = Execution.objects.get()
    assert triggers["process-created"]["processingId"] == str(execution.processing_id)
    assert execution.path == "/content/dam/guide"
    assert sorted(execution.excluded.values_list("path", flat=True)) == [
        "/content/dam/guide/archive",
        "/content/dam/guide/drafts",
    ]
    assert execution.file_types == ["DITATOPIC", "MARKDOWN"]
    assert execution.filter_processed_assets is True
    assert execution.created_by == "operator"


def test_create_without_a_folder_asks_for_one(runner_client, tree):
    response = runner_client.post(CREATE, {}, **HTMX)

    assert response.status_code == 422
    assert "Select the folder to process." in response.content.decode()
    assert not Execution.objects.exists()


def test_a_folder_that_has_gone_is_said_in_the_dialog(runner_client, tree):
    response = runner_client.post(CREATE, {"path": "/content/dam/vanished"}, **HTMX)

    assert response.status_code == 422
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Folder: /content/dam/vanished does not exist." in html


def test_an_exclusion_outside_the_folder_is_refused_in_words(runner_client, tree):
    response = runner_client.post(
        CREATE, {"path": "/content/dam/guide", "excluded_paths": ["/content/dam/other"]}, **HTMX
    )

    assert response.status_code == 422
    assert "Excluded folder" in response.content.decode()
    assert "only sub-folders of the processed folder can be excluded" in response.content.decode()


def test_an_overlapping_running_process_is_named_in_the_dialog(runner_client, tree):
    first = runner_client.post(CREATE, {"path": "/content/dam/guide"}, **HTMX)
    assert first.status_code == 201

    response = runner_client.post(CREATE, {"path": "/content/dam/guide/topics"}, **HTMX)

    assert response.status_code == 409
    running = Execution.objects.get()
    html = response.content.decode()
    assert f"overlaps execution {running.processing_id}" in html
    assert "Wait for it to finish or cancel it first." in html


def test_without_htmx_create_redirects_with_a_message(runner_client, tree):
    response = runner_client.post(CREATE, {"path": "/content/dam/other"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("guides_processor:executions")
    assert "Process triggered successfully" in response.content.decode()


def test_create_with_several_folders_queues_one_execution_of_them_all(runner_client, tree):
    response = runner_client.post(
        CREATE,
        {
            "path": "/content/dam/other",
            "paths": ["/content/dam/guide/topics", "/content/dam/guide/archive"],
            "excluded_paths": ["/content/dam/guide/archive/old"],
        },
        **HTMX,
    )

    assert response.status_code == 201, response.content
    execution = Execution.objects.get()
    assert execution.paths == [
        "/content/dam/other",
        "/content/dam/guide/topics",
        "/content/dam/guide/archive",
    ]
    assert list(execution.excluded.values_list("path", flat=True)) == [
        "/content/dam/guide/archive/old"
    ]


def test_folders_inside_each_other_are_refused_in_the_dialog(runner_client, tree):
    response = runner_client.post(
        CREATE, {"path": "/content/dam/guide", "paths": ["/content/dam/guide/topics"]}, **HTMX
    )

    assert response.status_code == 422
    assert "overlaps /content/dam/guide" in response.content.decode()
    assert not Execution.objects.exists()
