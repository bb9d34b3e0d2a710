"""The same round with the keyboard only: every step reachable by Tab, arrows, Enter and Space."""

import re

import pytest
from playwright.sync_api import expect

from guides_processor.models import Execution, ExecutionStatus
from tests.engine.trees import guide, many

from .conftest import PASSWORD
from .helpers import arrow_to, expect_status, focused_path, newest, row, tab_to

pytestmark = [pytest.mark.browser, pytest.mark.cluster]

LONG_RUN_FILES = 6000


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


def test_an_admin_does_the_whole_round_with_the_keyboard_only(
    page, live_server, admin, repository, start_cluster, shot
):
    start_cluster(GUIDES_BATCH_SIZE="2", GUIDES_PARALLEL_TASKS="1")
    keys = page.keyboard

    page.goto(live_server.url + "/")
    expect(page.locator("#id_username")).to_be_focused()
    keys.type("admin")
    keys.press("Tab")
    keys.type(PASSWORD)
    keys.press("Enter")
    expect(page.get_by_role("heading", name="Tools")).to_be_visible()

    tab_to(page, ".tile")
    keys.press("Enter")
    expect(page.get_by_role("heading", name="Guides Asset Processor")).to_be_visible()
    page.wait_for_load_state()  # the console's deferred scripts have run

    # New Process: arrows move in the tree, Enter selects, Right opens, Space excludes.
    tab_to(page, "#new-process-button")
    keys.press("Enter")
    expect(page.locator("#new-process")).to_be_visible()
    expect(page.locator('[data-path="/content/dam/guide"]')).to_be_visible()
    assert focused_path(page) == "/content/dam"
    arrow_to(page, "/content/dam/guide")
    keys.press("Enter")
    expect(page.locator("#selected-folder")).to_have_text("/content/dam/guide")
    keys.press("ArrowRight")
    expect(page.locator('[data-path="/content/dam/guide/archive"]')).to_be_visible()
    keys.press("ArrowRight")
    assert focused_path(page) == "/content/dam/guide/archive"
    keys.press(" ")
    arrow_to(page, "/content/dam/guide/drafts")
    keys.press(" ")
    expect(page.locator("#excluded-summary li")).to_have_text(
        ["/content/dam/guide/archive", "/content/dam/guide/drafts"]
    )
    # Space on a folder that cannot be excluded (the chosen one) keeps the choice, saying why.
    arrow_to(page, "/content/dam/guide", key="ArrowUp")
    keys.press(" ")
    hint = page.locator("#new-process-errors .form-hint")
    expect(hint).to_contain_text("only its sub-folders can be excluded")
    expect(page.locator("#selected-folder")).to_have_text("/content/dam/guide")
    expect(page.locator("#excluded-summary li")).to_have_count(2)
    arrow_to(page, "/content/dam/guide/drafts")
    shot(page, "10-keyboard-tree")
    tab_to(page, "#new-process-create")
    keys.press("Enter")

    expect(page.locator(".toast", has_text="Process triggered successfully")).to_be_visible()
    expect(page.locator("#new-process-button")).to_be_focused()
    first = newest("/content/dam/guide")
    expect_status(page, first, ExecutionStatus.SUCCESS, timeout=30_000)

    # Focus shows a row's actions, as hovering does.
    tab_to(page, f"#logs-{first.processing_id}")
    expect(row(page, first).locator(".row-actions")).to_have_css("opacity", "1")
    expect(row(page, first).get_by_role("button", name="Restart")).to_be_visible()
    # The focused icon names itself, as hovering it does with its tooltip.
    shown = page.evaluate("getComputedStyle(document.activeElement, '::after').content")
    assert shown == '"View logs"'
    shot(page, "11-keyboard-row-actions")

    # A long run, cancelled and resumed from the keyboard.
    tab_to(page, "#new-process-button", backwards=True)
    keys.press("Enter")
    assert focused_path(page) == "/content/dam/guide/drafts"  # the tree remembers where it was
    arrow_to(page, "/content/dam/bulk", key="ArrowUp")
    keys.press("Enter")
    expect(page.locator("#selected-folder")).to_have_text("/content/dam/bulk")
    tab_to(page, "#new-process-create")
    keys.press("Enter")
    long = newest("/content/dam/bulk")
    expect_status(page, long, ExecutionStatus.IN_PROGRESS, timeout=15_000)
    tab_to(page, f"#cancel-{long.processing_id}")
    keys.press("Enter")
    expect_status(page, long, ExecutionStatus.CANCELLED, timeout=15_000)
    # The focus stays in the row: on the first action it offers now that Cancel is gone.
    expect(row(page, long).locator(".row-actions button").first).to_be_focused(timeout=5_000)
    tab_to(page, f"#resume-{long.processing_id}")
    keys.press("Enter")
    expect_status(page, long, ExecutionStatus.SUCCESS, timeout=90_000)

    # Restart, then the logs of the new run.
    rows = page.locator("tr.execution-row")
    tab_to(page, f"#restart-{first.processing_id}")
    keys.press("Enter")
    expect(rows).to_have_count(3)
    # The focus is back on Restart, not on the page: the next Tab goes on from the row.
    expect(page.locator(f"#restart-{first.processing_id}")).to_be_focused(timeout=5_000)
    again = newest("/content/dam/guide", after=long.pk)
    expect_status(page, again, ExecutionStatus.SUCCESS, timeout=30_000)
    tab_to(page, f"#logs-{again.processing_id}")
    keys.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Logs"))).to_be_visible()
    expect(page.locator("#log-box")).to_contain_text(f"Restart of execution {first.processing_id}")
    assert Execution.objects.count() == 3
