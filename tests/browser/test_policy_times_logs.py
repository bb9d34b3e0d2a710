"""The console in a real browser: no Content-Security-Policy violation on any screen, times in the
reader's zone, error pages in the console's layout, and a log viewer that keeps up with a fast run
while keeping a bounded window of lines."""

import re
import time

import pytest
from playwright.sync_api import Page, expect

from guides_processor import executions
from guides_processor.models import Execution, ExecutionStatus, LogLine
from tests.engine.trees import guide

from .helpers import EXECUTIONS, row, sign_in

pytestmark = pytest.mark.browser

# Listens before any script of the page runs, so that no violation goes unseen.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sample}`);
});
"""


@pytest.fixture
def finished(write_tree) -> Execution:
    write_tree(guide())
    execution = executions.execution_create(path="/content/dam/guide", created_by="admin")
    return executions.execution_run_inline(processing_id=execution.processing_id)


@pytest.fixture
def watched(page: Page) -> tuple[Page, list[str]]:
    """The page, and the policy violations its console reported (the DOM event adds to them)."""
    messages: list[str] = []
    page.on(
        "console",
        lambda message: (
            messages.append(message.text)
            if "Content Security Policy" in message.text
            or "htmx:evalDisallowedError" in message.text
            else None
        ),
    )
    page.add_init_script(RECORD_VIOLATIONS)
    return page, messages


def violations(page: Page, messages: list[str]) -> list[str]:
    recorded: list[str] = page.evaluate("window.__violations || []")
    return messages + recorded


def test_the_console_flow_breaks_no_policy_and_shows_times_in_the_readers_zone(
    browser, live_server, admin, finished, shot
):
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, timezone_id="America/New_York", locale="en-US"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    messages: list[str] = []
    page.on(
        "console",
        lambda message: (
            messages.append(message.text)
            if "Content Security Policy" in message.text or "evalDisallowed" in message.text
            else None
        ),
    )
    page.add_init_script(RECORD_VIOLATIONS)
    try:
        sign_in(page, live_server.url, "admin")
        page.goto(live_server.url + EXECUTIONS)
        started = row(page, finished).locator("time").first
        # The reader is in New York: the server's UTC becomes EST (or EDT), named.
        expect(started).to_have_text(re.compile(r"\d{2}/\d{2}/\d{4}\s*\d{2}:\d{2}:\d{2} E[SD]T"))
        assert "UTC" not in started.inner_text()

        page.click("#new-process-button")
        tree = page.locator("#folder-tree")
        expect(tree.locator('[data-path="/content/dam/guide"]')).to_be_visible()
        shot(page, "policy-new-process")
        page.keyboard.press("Escape")

        # A table refresh by htmx: its times are rewritten too.
        page.evaluate("htmx.trigger(document.body, 'executions-changed')")
        page.wait_for_timeout(500)
        expect(row(page, finished).locator("time").first).to_have_text(re.compile(r"E[SD]T$"))

        page.goto(live_server.url + f"{EXECUTIONS}{finished.processing_id}/")
        expect(page.locator("dd time").first).to_have_text(re.compile(r"E[SD]T$"))
        shot(page, "policy-detail")
        page.goto(live_server.url + f"{EXECUTIONS}{finished.processing_id}/logs/")
        expect(page.locator(".log-line time").first).to_have_attribute(
            "title", re.compile(r"E[SD]T$")
        )
        page.goto(live_server.url + f"{EXECUTIONS}00000000-0000-0000-0000-000000000000/")
        expect(page.get_by_role("heading", name="Not found")).to_be_visible()
        expect(page.get_by_role("link", name="Back to the Asset Processor")).to_be_visible()
        shot(page, "policy-not-found")

        assert violations(page, messages) == []
        assert errors == []
    finally:
        context.close()


def add_lines(execution: Execution, count: int) -> int:
    """Append ``count`` lines as the engine would, and return the new line count."""
    execution.refresh_from_db()
    start = execution.log_line_count
    LogLine.objects.bulk_create(
        LogLine(
            execution=execution,
            line=start + n,
            time=execution.created_at,
            level="INFO",
            message=f"processed asset {start + n}",
        )
        for n in range(count)
    )
    Execution.objects.filter(pk=execution.pk).update(log_line_count=start + count)
    return start + count


def last_shown(page: Page) -> int:
    line = page.locator(".log-line").last.get_attribute("data-line")
    assert line is not None, "every log line carries its number"
    return int(line)


def test_the_log_viewer_keeps_up_with_a_fast_run_and_stays_bounded(
    watched, live_server, admin, write_tree, shot
):
    page, messages = watched
    write_tree({"fast/a.dita": "<topic id='a'><title>A</title></topic>"})
    execution = executions.execution_create(path="/content/dam/fast", created_by="admin")
    Execution.objects.filter(pk=execution.pk).update(status=ExecutionStatus.IN_PROGRESS)
    add_lines(execution, 100)
    sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + f"{EXECUTIONS}{execution.processing_id}/logs/")
    expect(page.locator("#log-follower")).to_contain_text("Following")

    def caught_up(written: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and last_shown(page) != written - 1:
            page.wait_for_timeout(200)
        assert last_shown(page) == written - 1, f"the viewer did not catch up within {seconds} s"

    # Steps a poll can hold, until the page would hold more than its window of 5,000 lines:
    # the oldest leave the page and a button brings them back.
    for _ in range(3):
        written = add_lines(execution, 1900)
        caught_up(written, 10)
    assert page.locator(".log-line").count() == 5000
    first_shown = int(page.locator(".log-line").first.get_attribute("data-line"))
    assert first_shown == written - 5000
    expect(page.locator("#load-earlier")).to_contain_text(
        f"Load earlier lines ({first_shown} before"
    )

    # 800 lines a second for 5 seconds (the rate that used to outrun the viewer), then a burst far
    # beyond a poll's step: the viewer keeps up, jumping ahead and saying what it skipped.
    began = time.monotonic()
    for tick in range(20):
        written = add_lines(execution, 200)
        time.sleep(max(0.0, began + (tick + 1) * 0.25 - time.monotonic()))
    written = add_lines(execution, 6000)
    caught_up(written, 10)
    shot(page, "log-viewer-fast-run")
    assert page.locator(".log-line").count() <= 5000
    gap = page.locator(".load-gap")
    expect(gap.last).to_contain_text(re.compile(r"\d+ lines skipped — load them"))
    assert f"before={written - 2000}&" in gap.last.get_attribute("hx-get")

    # The skipped lines load on demand, just above the newest ones (the fast phase may have left
    # gaps of its own, each with its button).
    gap.last.click()
    expect(page.locator(f'.log-line[data-line="{written - 2001}"]')).to_be_attached()
    shot(page, "log-viewer-gap-loaded")

    Execution.objects.filter(pk=execution.pk).update(status=ExecutionStatus.SUCCESS)
    page.check("#log-stick")
    expect(page.locator("#log-follower")).to_have_text("End of the log.")
    assert page.locator(".log-line").count() <= 5000
    shot(page, "log-viewer-end")
    assert violations(page, messages) == []


def test_the_folder_picker_pages_and_says_why_a_page_is_refused(
    watched, live_server, admin, content_root, shot
):
    page, messages = watched
    for index in range(230):
        (content_root / "big" / f"f{index:03d}").mkdir(parents=True)
    sign_in(page, live_server.url, "admin")
    page.goto(live_server.url + EXECUTIONS)
    page.click("#new-process-button")
    tree = page.locator("#folder-tree")
    big = tree.locator('[data-path="/content/dam/big"]')
    big.locator(":scope > .tree-row .twisty").click()
    more = big.locator(".tree-more")
    expect(more).to_have_text("Show 30 more folders…")

    more.click()
    expect(big.locator('[role="treeitem"][data-path]')).to_have_count(230)
    expect(page.locator('[data-path="/content/dam/big/f200"]')).to_be_focused()

    # An address tampered with: the server's reason is said in the tree.
    page.keyboard.press("Escape")
    page.click("#new-process-button")
    root_item = tree.locator('[data-path="/content/dam"]')
    tampered = f"{EXECUTIONS}folders/?path=/content/dam&offset=99999999999999999999999"
    root_item.evaluate(
        """(item, url) => {
          const more = document.createElement("li");
          more.className = "tree-item tree-more";
          more.setAttribute("role", "treeitem");
          more.dataset.more = url;
          const row = document.createElement("span");
          row.className = "tree-row";
          const label = document.createElement("span");
          label.className = "tree-label";
          label.textContent = "More";
          row.append(label);
          more.append(row);
          item.querySelector(":scope > ul").append(more);
        }""",
        tampered,
    )
    tree.locator(".tree-more", has_text="More").click()
    expect(tree.locator(".tree-error")).to_contain_text("Offset: ")
    tree.locator(".tree-error").scroll_into_view_if_needed()
    shot(page, "picker-refused-offset")
    assert violations(page, messages) == []
