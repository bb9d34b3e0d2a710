"""Steps shared by the browser tests: signing in, finding rows, waiting for statuses."""

import re
import time

from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from guides_processor.models import Execution, ExecutionItem, ExecutionSlot, ItemState, LogLine

from .conftest import PASSWORD

EXECUTIONS = "/tools/guides/asset-processor/"


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Tools")).to_be_visible()


def row(page: Page, execution: Execution) -> Locator:
    return page.locator(f"#row-{execution.processing_id}")


def newest(path: str, *, after: int = 0, timeout: float = 10.0) -> Execution:
    """The newest execution on ``path`` with an id above ``after``, once it exists."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = Execution.objects.filter(path=path, pk__gt=after).order_by("-id").first()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"no new execution on {path}")


def expect_status(page: Page, execution: Execution, status: str, timeout: float = 60_000) -> None:
    try:
        expect(row(page, execution)).to_have_attribute("data-status", status, timeout=timeout)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{engine_state(execution)}") from None


def engine_state(execution: Execution) -> str:
    """What the engine holds of an execution, for a failure's message: its status, its slots'
    generations and heartbeats, the leases still held, and the last log lines."""
    now = timezone.now()
    current = Execution.objects.get(pk=execution.pk)
    lines = [f"engine state of {current.processing_id}: {current.status}"]
    for number, generation, beat in ExecutionSlot.objects.filter(execution=current).values_list(
        "number", "generation", "heartbeat_at"
    ):
        age = f"{(now - beat).total_seconds():.1f} s ago" if beat else "never"
        lines.append(f"  slot {number}: generation {generation}, heartbeat {age}")
    leased = ExecutionItem.objects.filter(execution=current, state=ItemState.PENDING).exclude(
        lease_owner=""
    )
    for owner, expires in leased.values_list("lease_owner", "lease_expires_at")[:10]:
        left = f"{(expires - now).total_seconds():.1f} s" if expires else "none"
        lines.append(f"  leased by {owner}, lease left {left}")
    for line in LogLine.objects.filter(execution=current).order_by("-line")[:8][::-1]:
        lines.append(f"  log {line.line} {line.time:%H:%M:%S.%f} {line.level} {line.message}")
    return "\n".join(lines)


def mark_page(page: Page) -> None:
    """Tag the document, so that a later check can tell that it was never reloaded."""
    page.evaluate("window.__notReloaded = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.__notReloaded === true"), "the page was reloaded"


def actions_opacity(page: Page, execution: Execution) -> str:
    opacity: str = (
        row(page, execution)
        .locator(".row-actions")
        .evaluate("element => getComputedStyle(element).opacity")
    )
    return opacity


def tab_to(page: Page, selector: str, *, limit: int = 60, backwards: bool = False) -> None:
    """Press Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate(
            "s => document.activeElement && document.activeElement.matches(s)", selector
        ):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{selector} never got the focus")


def focused_path(page: Page) -> str | None:
    path: str | None = page.evaluate(
        "document.activeElement && document.activeElement.dataset.path"
    )
    return path


def arrow_to(page: Page, path: str, *, key: str = "ArrowDown", limit: int = 40) -> None:
    """Move the tree's focus with an arrow key until it is on ``path``."""
    for _ in range(limit):
        if focused_path(page) == path:
            return
        page.keyboard.press(key)
    raise AssertionError(f"the tree never reached {path}")
