"""The Assets pages in a real browser: a folder, an asset with Used in, the broken-links report."""

import re

import pytest
from playwright.sync_api import expect

from guides_processor import executions
from guides_processor.models import Execution
from tests.engine.trees import guide, topic

from .helpers import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def processed(write_tree) -> Execution:
    write_tree(guide())
    write_tree(
        {
            "guide/topics/broken.dita": "<concept id='x'><title>Unclosed</concept>",
            "guide/more/page.md": "# Page\n\n[gone](gone.md)\n",
        }
    )
    execution = executions.execution_create(path="/content/dam/guide", created_by="admin")
    finished = executions.execution_run_inline(processing_id=execution.processing_id)
    write_tree({"guide/topics/new.dita": topic("new", "New")})
    return finished


def test_assets_an_asset_used_in_and_the_broken_links_report(
    page, live_server, admin, processed, shot
):
    sign_in(page, live_server.url, "admin")
    page.get_by_role("link", name=re.compile(r"^Assets ")).click()
    expect(page.get_by_role("heading", name="Assets", exact=True)).to_be_visible()

    # Down to the topics: folders first, then files with their statuses.
    page.locator(".folder-row .entry-link", has_text="guide/").click()
    page.locator(".folder-row .entry-link", has_text="topics/").click()
    table = page.locator("#assets-table")
    expect(table.locator('[data-name="new.dita"] .badge')).to_have_text("Pending")
    expect(table.locator('[data-name="broken.dita"] .badge')).to_have_text("Failed")
    expect(table.locator('[data-name="setup.dita"] .badge')).to_have_text("Processed")
    shot(page, "20-assets-folder", full_page=True)

    # A filter narrows to every failed file below the folder, without reloading the page.
    page.select_option("#filter-asset-status", "FAILED")
    expect(table.locator(".asset-row")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"status=FAILED"))
    page.select_option("#filter-asset-status", "")
    expect(table.locator('[data-name="setup.dita"]')).to_be_visible()

    # setup.dita: used by the map and by intro (by path and by key).
    table.locator('[data-name="setup.dita"] .entry-link').click()
    expect(page.get_by_role("heading", name="Setting up")).to_be_visible()
    used_in = page.locator("#asset-used-in")
    expect(used_in.locator("tbody tr")).to_have_count(4)
    expect(used_in).to_contain_text("(key setup)")
    expect(page.locator("#asset-broken")).to_contain_text("missing.dita")
    shot(page, "21-asset-used-in", full_page=True)

    # Reprocess this asset: a toast that links to the execution it started.
    page.locator("#reprocess-asset").click()
    toast = page.locator(".toast").last
    expect(toast).to_contain_text("Reprocessing started")
    expect(toast.locator(".toast-link")).to_have_text("View the execution")
    page.wait_for_timeout(400)  # the toast's entrance
    shot(page, "22-asset-reprocess-toast")

    # The broken-links report of the folder, then filtered by reason with the facets.
    page.goto(f"{live_server.url}/tools/guides/broken-links/?folder=/content/dam/guide")
    total = page.locator("#broken-total")
    expect(total).to_have_text("3")
    page.locator("#facet-reason input[value=KEY_UNDEFINED]").check()
    expect(total).to_have_text("1")
    expect(page.locator("#broken-links-table tbody tr")).to_have_count(1)
    expect(page.locator("#broken-links-table")).to_contain_text("nowhere")
    page.locator("#facet-reason input[value=KEY_UNDEFINED]").uncheck()
    expect(total).to_have_text("3")
    shot(page, "23-broken-links-report", full_page=True)

    with page.expect_download() as download:
        page.locator("#broken-links-csv").click()
    lines = download.value.path().read_text().splitlines()
    assert lines[0] == "source,value,target,linkType,fileType,reason,line,usedBy"
    assert len(lines) == 4
