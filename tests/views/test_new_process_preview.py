"""The New Process dialog's Preview (the dry run) and its modification dates."""

import os
from datetime import UTC, datetime

import pytest
from django.urls import reverse

from guides_processor.models import Execution

from .conftest import HTMX

pytestmark = pytest.mark.django_db

CREATE = reverse("guides_processor:execution_create")
PREVIEW = reverse("guides_processor:execution_preview")
TOPIC = "<topic id='{0}'><title>{0}</title></topic>"


@pytest.fixture
def tree(write_tree):
    return write_tree(
        {
            **{f"guide/topics/t{index:02d}.dita": TOPIC.format(f"t{index}") for index in range(25)},
            "guide/maps/guide.ditamap": "<map><topicref href='../topics/t00.dita'/></map>",
            "guide/drafts/wip.dita": TOPIC.format("wip"),
            "guide/readme.md": "# Guide",
        }
    )


def _touch(root, relpath: str, when: datetime) -> None:
    stamp = when.timestamp()
    os.utime(root / relpath, (stamp, stamp))


def test_preview_counts_what_create_would_process_and_creates_nothing(runner_client, tree):
    response = runner_client.post(
        PREVIEW,
        {
            "path": "/content/dam/guide",
            "excluded_paths": ["/content/dam/guide/drafts"],
            "file_types": ["DITATOPIC", "DITAMAP"],
        },
        **HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert '<dd id="preview-total">26</dd>' in html  # 25 topics and the map
    assert '<dd id="preview-excluded">1</dd>' in html  # readme.md is not of those types
    assert '<dd id="preview-skipped">0</dd>' in html
    by_type = html.split('id="preview-by-type"')[1].split("</table>")[0]
    assert '<td>DITATOPIC</td><td class="num">25</td>' in by_type
    assert '<td>DITAMAP</td><td class="num">1</td>' in by_type
    sample = html.split('id="preview-sample"')[1].split("</ol>")[0]
    assert sample.count("<li") == 20
    assert "/content/dam/guide/drafts" not in sample
    assert 'id="preview-more">and 6 more' in html
    # The dialog's earlier error goes with an answer.
    assert '<div id="new-process-errors" hx-swap-oob="innerHTML"></div>' in html
    assert not Execution.objects.exists()


def test_preview_counts_files_skipped_as_processed(runner_client, tree):
    created = runner_client.post(CREATE, {"path": "/content/dam/guide/topics"}, **HTMX)
    assert created.status_code == 201
    from guides_processor import executions

    executions.execution_run_inline(processing_id=Execution.objects.get().processing_id)

    html = runner_client.post(
        PREVIEW,
        {"path": "/content/dam/guide", "filter_processed_assets": "true"},
        **HTMX,
    ).content.decode()

    assert '<dd id="preview-total">28</dd>' in html
    assert '<dd id="preview-skipped">25</dd>' in html
    assert html.split('id="preview-sample"')[1].split("</ol>")[0].count("<li") == 3


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({}, "Select the folder to process."),
        ({"path": "/content/dam/vanished"}, "Folder: /content/dam/vanished does not exist."),
        (
            {"path": "/content/dam/guide", "excluded_paths": ["/content/dam/other"]},
            "only sub-folders of the processed folder can be excluded",
        ),
        ({"path": "/content/dam/guide", "file_types": ["PDF"]}, "Asset types: "),
        (
            {"path": "/content/dam/guide", "modified_after": "yesterday"},
            "Modified after: Enter a valid date/time.",
        ),
    ],
)
def test_preview_refuses_bad_input_in_the_words_of_create(runner_client, tree, data, words):
    preview = runner_client.post(PREVIEW, data, **HTMX)
    create = runner_client.post(CREATE, data, **HTMX)

    assert preview.status_code == create.status_code == 422
    said = preview.content.decode()
    assert words in said
    error = said.split('class="error-text">')[1].split("</span>")[0]
    assert error == create.content.decode().split('class="error-text">')[1].split("</span>")[0]
    # Put where Create puts its errors, and the preview of an earlier request goes.
    assert preview["HX-Retarget"] == "#new-process-errors"
    assert '<div id="new-process-preview" hx-swap-oob="innerHTML"></div>' in said
    assert not Execution.objects.exists()


def test_preview_does_not_refuse_a_folder_that_a_run_is_processing(runner_client, tree):
    assert runner_client.post(CREATE, {"path": "/content/dam/guide"}, **HTMX).status_code == 201

    response = runner_client.post(PREVIEW, {"path": "/content/dam/guide/topics"}, **HTMX)

    assert response.status_code == 200
    assert '<dd id="preview-total">25</dd>' in response.content.decode()


def test_a_reader_cannot_preview(reader_client, tree):
    response = reader_client.post(PREVIEW, {"path": "/content/dam/guide"}, **HTMX)

    assert response.status_code == 403


def test_the_dialog_has_preview_and_dates_named_with_the_server_zone(runner_client, settings):
    settings.TIME_ZONE = "America/Chicago"

    html = runner_client.get(reverse("guides_processor:executions")).content.decode()

    assert 'id="new-process-preview-button"' in html
    assert f'hx-post="{PREVIEW}"' in html
    assert 'type="datetime-local" name="modified_after"' in html
    assert 'type="datetime-local" name="modified_before"' in html
    assert '<span id="time-zone-name">America/Chicago</span>' in html


# --- modification dates -------------------------------------------------------------------


def test_dates_are_read_in_the_zone_the_browser_sends(runner_client, tree):
    response = runner_client.post(
        CREATE,
        {
            "path": "/content/dam/guide",
            "modified_after": "2024-01-15T09:30",
            "modified_before": "2024-07-01T18:00:30",
            "time_zone": "Europe/Paris",
        },
        **HTMX,
    )

    assert response.status_code == 201
    execution = Execution.objects.get()
    # Winter and summer time in Paris.
    assert execution.modified_after == datetime(2024, 1, 15, 8, 30, tzinfo=UTC)
    assert execution.modified_before == datetime(2024, 7, 1, 16, 0, 30, tzinfo=UTC)
    detail = runner_client.get(
        reverse("guides_processor:execution_detail", args=[execution.processing_id])
    ).content.decode()
    assert 'datetime="2024-01-15T08:30:00+00:00"' in detail
    assert 'datetime="2024-07-01T16:00:30+00:00"' in detail


def test_dates_without_a_zone_are_read_in_the_server_zone(runner_client, tree, settings):
    settings.TIME_ZONE = "America/New_York"

    response = runner_client.post(
        CREATE, {"path": "/content/dam/guide", "modified_after": "2024-03-01T00:00"}, **HTMX
    )

    assert response.status_code == 201
    assert Execution.objects.get().modified_after == datetime(2024, 3, 1, 5, 0, tzinfo=UTC)
    assert Execution.objects.get().modified_before is None


def test_preview_uses_the_dates(runner_client, tree):
    old = datetime(2020, 6, 1, 12, 0, tzinfo=UTC)
    new = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    for path in tree.joinpath("guide").rglob("*.*"):
        _touch(tree, str(path.relative_to(tree)), old)
    for relpath in ("guide/topics/t03.dita", "guide/readme.md"):
        _touch(tree, relpath, new)

    html = runner_client.post(
        PREVIEW,
        {
            "path": "/content/dam/guide",
            "modified_after": "2024-05-01T00:00",
            "modified_before": "2024-07-01T00:00",
            "time_zone": "UTC",
        },
        **HTMX,
    ).content.decode()

    assert '<dd id="preview-total">2</dd>' in html
    assert '<dd id="preview-excluded">26</dd>' in html
    sample = html.split('id="preview-sample"')[1].split("</ol>")[0]
    assert "/content/dam/guide/topics/t03.dita" in sample
    assert "/content/dam/guide/readme.md" in sample


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            {"modified_after": "2024-05-02T00:00", "modified_before": "2024-05-01T00:00"},
            "Modified after is later than Modified before.",
        ),
        ({"modified_before": "2024-13-01T00:00"}, "Modified before: Enter a valid date/time."),
        ({"time_zone": "Mars/Olympus"}, "Time zone: &#x27;Mars/Olympus&#x27; is not a time zone."),
        # 02:30 does not happen in Paris on that day: the clocks go from 02:00 to 03:00.
        (
            {"modified_after": "2024-03-31T02:30", "time_zone": "Europe/Paris"},
            "Modified after: ",
        ),
    ],
)
def test_dates_that_are_not_a_window_are_refused_in_words(runner_client, tree, data, words):
    response = runner_client.post(CREATE, {"path": "/content/dam/guide", **data}, **HTMX)

    assert response.status_code == 422
    assert words in response.content.decode()
    assert not Execution.objects.exists()
