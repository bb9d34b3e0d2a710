"""The New Process dialog in a browser: Preview before Create, dates in the browser's zone."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from guides_processor.models import Execution

from .helpers import EXECUTIONS, arrow_to, newest, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.browser_zone("Asia/Tokyo")]

TOPIC = "<topic id='{0}'><title>{0}</title></topic>"


@pytest.fixture
def repository(write_tree):
    return write_tree(
        {
            **{f"guide/topics/t{index:02d}.dita": TOPIC.format(f"t{index}") for index in range(30)},
            "guide/maps/guide.ditamap": "<map><topicref href='../topics/t00.dita'/></map>",
            "guide/drafts/wip.dita": TOPIC.format("wip"),
            "guide/readme.md": "# Guide",
        }
    )


def test_preview_shows_what_create_would_process_then_create_uses_the_same_request(
    page, live_server, admin, repository, shot
):
    sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + EXECUTIONS)
    page.wait_for_load_state()
    page.click("#new-process-button")
    dialog = page.locator("#new-process")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#time-zone-name")).to_have_text("Asia/Tokyo")

    # Preview with nothing selected: Create's own words, where Create says them.
    dialog.locator("#new-process-preview-button").click()
    expect(dialog.locator("#new-process-errors")).to_contain_text("Select the folder to process.")
    expect(dialog.locator("#new-process-errors")).to_contain_text("No preview.")

    # The keyboard still picks the folder and excludes a sub-folder.
    dialog.locator('[data-path="/content/dam"]').focus()
    arrow_to(page, "/content/dam/guide")
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowRight")
    arrow_to(page, "/content/dam/guide/drafts")
    page.keyboard.press(" ")
    expect(dialog.locator("#excluded-summary li")).to_have_text(["/content/dam/guide/drafts"])
    dialog.locator('input[name="file_types"][value="DITATOPIC"]').check()
    dialog.locator("#modified-after").fill("2000-01-01T09:00")
    shot(page, "10-new-process-dates")

    dialog.locator("#new-process-preview-button").click()
    result = dialog.locator("#preview-result")
    expect(result).to_be_visible()
    expect(dialog.locator("#new-process-errors")).to_be_empty()
    expect(result.locator("#preview-total")).to_have_text("30")
    expect(result.locator("#preview-excluded")).to_have_text("2")  # the map and the readme
    expect(result.locator("#preview-by-type")).to_contain_text("DITATOPIC")
    expect(result.locator("#preview-sample li")).to_have_count(20)
    expect(result.locator("#preview-more")).to_have_text("and 10 more")
    assert not Execution.objects.exists()
    result.scroll_into_view_if_needed()
    shot(page, "11-new-process-preview")

    # A change makes the preview go: it answered another request.
    dialog.locator('input[name="file_types"][value="DITAMAP"]').check()
    expect(dialog.locator("#preview-result")).to_have_count(0)

    page.click("#new-process-create")
    expect(page.locator(".toast", has_text="Process triggered successfully")).to_be_visible()
    execution = newest("/content/dam/guide")
    assert execution.file_types == ["DITATOPIC", "DITAMAP"]
    assert list(execution.excluded.values_list("path", flat=True)) == ["/content/dam/guide/drafts"]
    # 09:00 in Tokyo is midnight UTC.
    assert execution.modified_after == datetime(2000, 1, 1, 0, 0, tzinfo=UTC)


def test_ctrl_enter_and_ctrl_click_add_folders_to_one_execution(
    page, live_server, admin, repository
):
    sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + EXECUTIONS)
    page.wait_for_load_state()
    page.click("#new-process-button")
    dialog = page.locator("#new-process")
    expect(dialog.locator('[data-path="/content/dam/guide"]')).to_be_visible()

    dialog.locator('[data-path="/content/dam"]').focus()
    arrow_to(page, "/content/dam/guide")
    page.keyboard.press("ArrowRight")
    arrow_to(page, "/content/dam/guide/drafts")
    page.keyboard.press("Enter")
    arrow_to(page, "/content/dam/guide/topics")
    page.keyboard.press("Control+Enter")
    dialog.locator('[data-path="/content/dam/guide/maps"] .tree-label').click(modifiers=["Control"])
    expect(dialog.locator("#selected-folder")).to_have_text(
        "/content/dam/guide/drafts\n/content/dam/guide/topics\n/content/dam/guide/maps"
    )
    # Ctrl+Enter again takes one out; the arrows still move.
    arrow_to(page, "/content/dam/guide/topics")
    page.keyboard.press("Control+Enter")
    expect(dialog.locator('[data-path="/content/dam/guide/topics"]')).to_have_attribute(
        "aria-selected", "false"
    )
    dialog.locator("#new-process-create").click()

    expect(page.locator(".toast", has_text="Process triggered successfully")).to_be_visible()
    execution = newest("/content/dam/guide/drafts")
    assert execution.paths == ["/content/dam/guide/drafts", "/content/dam/guide/maps"]


def test_at_400_px_the_preview_keeps_the_dialogs_title_and_close_in_view(
    page, live_server, admin, repository, shot
):
    page.set_viewport_size({"width": 400, "height": 800})
    sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + EXECUTIONS)
    page.wait_for_load_state()
    page.click("#new-process-button")
    dialog = page.locator("#new-process")
    dialog.locator('[data-path="/content/dam"]').focus()
    arrow_to(page, "/content/dam/guide")
    page.keyboard.press("Enter")
    dialog.locator("#new-process-preview-button").click()
    expect(dialog.locator("#preview-result")).to_be_visible()
    shot(page, "12-new-process-preview-400")

    for selector in ("#new-process-title", "[data-close-dialog]"):
        box = dialog.locator(selector).first.bounding_box()
        assert box is not None and box["y"] >= 0, f"{selector} is scrolled out of view: {box}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 400
