"""The detail page: the status in words, counts, timings, failed assets, broken references."""

import pytest
from django.urls import reverse

from guides_processor import executions
from guides_processor.models import Execution

from .conftest import HTMX

pytestmark = pytest.mark.django_db


def detail(client, execution: Execution, **extra):
    return client.get(
        reverse("guides_processor:execution_detail", args=[execution.processing_id]), **extra
    )


def test_the_status_is_said_in_words_with_the_facts(runner_client, finished):
    html = detail(runner_client, finished).content.decode()

    assert "Completed:" in html and "processed" in html
    assert str(finished.processing_id) in html
    assert "/content/dam/guide" in html
    for fact in ("Created by", "Started", "Ended", "Duration", "Throughput", "assets/s"):
        assert fact in html


def test_counts_by_outcome_and_asset_type(runner_client, finished):
    html = detail(runner_client, finished).content.decode()

    table = html.split('id="counts-by-type"')[1].split("</table>")[0]
    assert "DITA topic" in table and "DITA map" in table and "Others" in table
    assert finished.processed_count > 0
    assert f'<span class="counter-value">{finished.failed_count}</span>' in html


def test_failed_assets_are_listed_with_their_reasons(runner_client, finished):
    html = detail(runner_client, finished).content.decode()

    failed = html.split('id="failed-assets"')[1].split("</table>")[0]
    assert "/content/dam/guide/topics/broken.dita" in failed
    item = finished.items.get(state="FAILED")
    assert item.error and item.error[:30] in failed


def test_broken_references_are_listed_with_attribute_value_type_and_line(runner_client, finished):
    html = detail(runner_client, finished).content.decode()

    broken = html.split('id="broken-references"')[1].split("</table>")[0]
    assert "/content/dam/guide/topics/setup.dita" in broken
    assert "@href" in broken and "missing.dita" in broken
    assert "@keyref" in broken and "nowhere" in broken


def test_a_restart_links_back_to_the_execution_it_restarted(runner_client, finished):
    new = executions.execution_restart(processing_id=finished.processing_id, by="operator")

    html = detail(runner_client, new).content.decode()
    original = detail(runner_client, finished).content.decode()

    assert 'id="restarted-from"' in html and str(finished.processing_id) in html
    assert "Restarted as" in original and str(new.processing_id)[:8] in original


def test_a_retry_says_it_is_over_a_list_and_a_walk_says_folder_listing(runner_client, finished):
    retry = executions.execution_retry_failed(processing_id=finished.processing_id, by="operator")

    html = detail(runner_client, retry).content.decode()
    walked = detail(runner_client, finished).content.decode()

    listed = html.split('id="listed-assets">')[1].split("</dd>")[0]
    assert listed.startswith("A list of 1 asset: those that failed in the execution it retries")
    assert "a restart redoes the same list" in listed
    assert "Folder listing" not in html
    assert "Folder listing" in walked and 'id="listed-assets"' not in walked
    # Each names the other as what it is: a retry, not a restart.
    assert "Retries the failed assets of" in html and "Restart of" not in html
    retried_in = walked.split('id="retried-in">')[1].split("</dd>")[0]
    assert str(retry.processing_id)[:8] in retried_in and "Restarted as" not in walked


def test_the_fragment_stops_polling_when_finished(runner_client, finished):
    response = detail(runner_client, finished, **HTMX)

    assert response.status_code == 286
    assert response.content.decode().startswith('<div id="execution-detail"')


def test_the_fragment_polls_while_running(runner_client, running):
    response = detail(runner_client, running, **HTMX)

    assert response.status_code == 200
    assert "every 2s" in response.content.decode()


def test_a_reader_sees_the_detail_without_actions(reader_client, finished):
    html = detail(reader_client, finished).content.decode()

    assert "Completed:" in html
    assert 'id="detail-restart"' not in html


@pytest.mark.django_db(transaction=True)
def test_a_run_whose_folder_went_says_once_to_put_it_back_and_resume(runner_client, write_tree):
    import shutil

    from guides_processor.models import ExecutionStatus
    from tests.engine.trees import many

    root = write_tree(many(3, "gone"))
    execution = executions.execution_create(path="/content/dam/gone", created_by="admin")
    shutil.rmtree(root / "gone")
    failed = executions.execution_run_inline(processing_id=execution.processing_id)
    assert failed.status == ExecutionStatus.FAILED

    words = detail(runner_client, failed).content.decode().split('class="words">')[1]
    words = words.split("</p>")[0]
    assert words.startswith("Failed: the folder cannot be processed: /content/dam/gone does not")
    assert words.count("resume") == 1 and "Put it back, then resume" in words
