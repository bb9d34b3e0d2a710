"""A staff member without the run permission sees everything and can do nothing."""

import pytest
from playwright.sync_api import expect

from guides_processor import executions
from guides_processor.models import Execution
from tests.engine.trees import guide

from .helpers import EXECUTIONS, row, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def finished(write_tree) -> Execution:
    write_tree(guide())
    execution = executions.execution_create(path="/content/dam/guide", created_by="admin")
    return executions.execution_run_inline(processing_id=execution.processing_id)


def test_a_reviewer_sees_the_executions_and_no_action(page, live_server, reviewer, finished, shot):
    sign_in(page, live_server.url, "reviewer")
    page.locator(".tile", has_text="Asset Processor").click()

    expect(row(page, finished).locator(".badge")).to_have_text("Completed")
    expect(page.locator("#new-process-button")).to_have_count(0)
    row(page, finished).hover()
    actions = row(page, finished).locator(".row-actions")
    expect(actions.get_by_role("link", name="View logs")).to_be_visible()
    expect(actions.get_by_role("button")).to_have_count(0)
    shot(page, "12-read-only-table")

    # A direct POST to an action is refused, with the reason.
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{live_server.url}{EXECUTIONS}{finished.processing_id}/restart/",
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status == 403
    assert "not start, cancel, resume or restart" in response.text()
    assert Execution.objects.count() == 1

    row(page, finished).locator(".execution-link").click()
    expect(page.locator(".words")).to_contain_text("Completed")
    expect(page.locator("#detail-restart")).to_have_count(0)


def test_the_console_reads_well_in_a_narrow_window(page, live_server, reviewer, finished, shot):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, "reviewer")
    page.goto(live_server.url + EXECUTIONS)

    card = row(page, finished)
    expect(card).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width} px)"
    expect(card.locator(".row-actions")).to_have_css("opacity", "1")  # no hover needed
    shot(page, "13-narrow-table", full_page=True)

    card.get_by_role("link", name="View logs").click()
    expect(page.locator("#log-box .log-line").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "14-narrow-log-viewer")
