"""The console in a real browser with real workers: the admin's whole round, mouse first."""

import io
import re
import zipfile

import pytest
from playwright.sync_api import expect

from guides_processor.models import Execution, ExecutionStatus
from tests.engine.trees import guide, many

from .helpers import (
    actions_opacity,
    assert_not_reloaded,
    expect_status,
    mark_page,
    newest,
    row,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.cluster]

# Enough small topics, in batches small enough, for a run that lasts long enough to watch it
# and cancel it (about 10 s here) and still finishes in a test's time.
LONG_RUN_FILES = 8000
LONG_RUN_ENV = {"GUIDES_BATCH_SIZE": "2", "GUIDES_PARALLEL_TASKS": "1"}


@pytest.fixture
def repository(write_tree):
    return write_tree(
        {
            **guide(),
            "guide/drafts/wip.dita": "<topic id='wip'><title>Work in progress</title></topic>",
            "guide/archive/old.dita": "<topic id='old'><title>Old</title></topic>",
            **many(LONG_RUN_FILES, "bulk"),
        }
    )


def create_process(page, folder: str, *, exclude: tuple[str, ...] = ()) -> None:
    """Pick ``folder`` (a child of /content/dam) in the dialog, exclude some of its children."""
    page.click("#new-process-button")
    dialog = page.locator("#new-process")
    expect(dialog).to_be_visible()
    tree = dialog.locator("#folder-tree")
    item = tree.locator(f'[data-path="/content/dam/{folder}"]')
    item.locator(":scope > .tree-row .tree-label").click()
    expect(item).to_have_attribute("aria-selected", "true")
    if exclude:
        item.locator(":scope > .tree-row .twisty").click()
        for name in exclude:
            tree.locator(
                f'[data-path="/content/dam/{folder}/{name}"] > .tree-row .exclude-box'
            ).check()


def test_an_admin_processes_a_folder_and_manages_runs_with_the_mouse(
    page, live_server, admin, repository, start_cluster, shot
):
    start_cluster(**LONG_RUN_ENV)
    sign_in(page, live_server.url, "admin")
    shot(page, "01-tools")

    page.locator(".tile", has_text="Asset Processor").click()
    expect(page.get_by_role("heading", name="Guides Asset Processor")).to_be_visible()
    expect(page.locator(".empty-row")).to_contain_text("No executions yet")
    page.wait_for_load_state()  # the console's deferred scripts have run
    mark_page(page)

    # New Process: one folder, two sub-folders excluded.
    create_process(page, "guide", exclude=("drafts", "archive"))
    expect(page.locator("#excluded-summary li")).to_have_count(2)
    shot(page, "02-new-process-dialog")
    page.click("#new-process-create")

    expect(page.locator(".toast", has_text="Process triggered successfully")).to_be_visible()
    expect(page.locator("#new-process")).to_be_hidden()
    first = newest("/content/dam/guide")
    assert sorted(first.excluded.values_list("path", flat=True)) == [
        "/content/dam/guide/archive",
        "/content/dam/guide/drafts",
    ]
    expect(row(page, first)).to_be_visible()
    shot(page, "03-created-toast")
    expect_status(page, first, ExecutionStatus.SUCCESS, timeout=30_000)
    expect(row(page, first).locator(".badge")).to_have_text("Completed")
    assert_not_reloaded(page)

    # Hovering shows the row's actions.
    assert actions_opacity(page, first) == "0"
    row(page, first).hover()
    expect(row(page, first).locator(".row-actions")).to_have_css("opacity", "1")
    expect(row(page, first).get_by_role("button", name="Restart")).to_be_visible()
    expect(row(page, first).get_by_role("link", name="View logs")).to_be_visible()
    shot(page, "04-table-row-actions")

    # Download logs gives a ZIP holding the log.
    with page.expect_download() as download_info:
        row(page, first).get_by_role("link", name="Download logs").click()
    data = download_info.value.path().read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        text = "\n".join(archive.read(name).decode() for name in archive.namelist())
    assert "Execution completed" in text

    # A long run: the log viewer follows it.
    create_process(page, "bulk")
    page.click("#new-process-create")
    long = newest("/content/dam/bulk")
    expect_status(page, long, ExecutionStatus.IN_PROGRESS, timeout=15_000)
    row(page, long).hover()
    row(page, long).get_by_role("link", name="View logs").click()
    expect(page.get_by_role("heading", name=re.compile("Logs"))).to_be_visible()
    lines = page.locator("#log-box .log-line")
    expect(lines.first).to_be_visible()
    start = int(lines.last.get_attribute("data-line"))
    expect(page.locator("#log-follower")).to_contain_text("Following new lines")
    page.wait_for_function(
        "n => Number([...document.querySelectorAll('#log-box .log-line')].at(-1).dataset.line)"
        " > n + 50",
        arg=start,
    )
    expect(page.locator("#log-status .eta")).to_be_visible()
    expect(page.locator("#log-status .badge")).to_have_text("In progress")
    assert page.evaluate(
        "(() => { const b = document.getElementById('log-box'); "
        "return b.scrollHeight - b.scrollTop - b.clientHeight < 30; })()"
    ), "the viewer did not keep the newest line in view"
    shot(page, "05-log-viewer-following")

    # Cancel it from the table, then resume it to the end.
    page.locator(".breadcrumbs").get_by_role("link", name="Asset Processor").click()
    expect(page).to_have_url(re.compile(r"/asset-processor/$"))
    page.wait_for_load_state()
    mark_page(page)
    expect_status(page, long, ExecutionStatus.IN_PROGRESS, timeout=5_000)
    row(page, long).hover()
    row(page, long).get_by_role("button", name="Cancel").click()
    expect(page.locator(".toast", has_text="Cancel")).to_be_visible()
    # A slot completes the cancel at its next round; if none is left to, the watchdog does once
    # its heartbeat is stale (6 s here). 30 s covers that on a loaded machine; a failure prints
    # the engine's state (slots, leases, last log lines).
    expect_status(page, long, ExecutionStatus.CANCELLED, timeout=30_000)
    long.refresh_from_db()
    assert 0 < long.triggered_count < LONG_RUN_FILES
    shot(page, "06-cancelled")

    row(page, long).hover()
    row(page, long).get_by_role("button", name="Resume").click()
    expect(page.locator(".toast", has_text="resumed")).to_be_visible()
    expect_status(page, long, ExecutionStatus.SUCCESS, timeout=90_000)
    long.refresh_from_db()
    assert long.processed_count == LONG_RUN_FILES

    # Restart makes a new row, linked to the one it restarts.
    rows_before = page.locator("tr.execution-row").count()
    row(page, first).hover()
    row(page, first).get_by_role("button", name="Restart").click()
    expect(page.locator("tr.execution-row")).to_have_count(rows_before + 1)
    again = newest("/content/dam/guide", after=long.pk)
    assert again.restarted_from_id == first.pk
    expect_status(page, again, ExecutionStatus.SUCCESS, timeout=30_000)
    assert_not_reloaded(page)
    shot(page, "07-table-after-restart")

    # The detail page of the first run: counts, failures, broken references, the restart.
    row(page, first).locator(".execution-link").click()
    expect(page.get_by_role("heading", name=re.compile("Execution"))).to_be_visible()
    expect(page.locator(".words")).to_contain_text("Completed")
    expect(page.locator("#broken-references")).to_contain_text("missing.dita")
    expect(page.locator(".facts")).to_contain_text(str(again.processing_id)[:8])
    shot(page, "08-execution-detail", full_page=True)

    # The finished long run's log: the tail, no polling, earlier lines put above on demand.
    page.goto(live_server.url + f"/tools/guides/asset-processor/{long.processing_id}/logs/")
    expect(page.locator("#log-follower")).to_have_text("End of the log.")
    lines = page.locator("#log-box .log-line")
    expect(lines).to_have_count(500)
    first_shown = int(lines.first.get_attribute("data-line"))
    page.click("#load-earlier")
    expect(lines).to_have_count(1000)
    assert int(lines.first.get_attribute("data-line")) == first_shown - 500
    shot(page, "09-log-viewer-earlier-lines")

    assert Execution.objects.count() == 3
