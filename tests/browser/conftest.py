"""Playwright (sync) against pytest-django's live server, in the system's Chromium.

Every request the page makes outside the live server is aborted and recorded, so a test fails
when anything would leave the machine (a CDN, a font service).
"""

import os
import re
import shutil
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make beside
# it are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("GUIDES_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PASSWORD = "a-long-test-password"


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM} (set GUIDES_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[FAILED] = report.failed
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(browser, live_server, request) -> Iterator[object]:
    # A test marked browser_zone("Area/City") runs in a browser in that zone.
    zone = request.node.get_closest_marker("browser_zone")
    context = browser.new_context(
        viewport={"width": 1280, "height": 800},
        accept_downloads=True,
        timezone_id=zone.args[0] if zone else None,
    )
    context.set_default_timeout(15_000)
    outside: list[str] = []
    errors: list[str] = []

    def refuse(route) -> None:
        outside.append(route.request.url)
        route.abort()

    # The pattern is matched in the browser's driver: requests to the live server never wait for
    # this (synchronous) Python side, which only runs while a Playwright call is in progress.
    context.route(re.compile(rf"^(?!{re.escape(live_server.url)}/)"), refuse)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    if request.node.stash.get(FAILED, False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"failed-{request.node.name}.png"))
    context.close()
    assert outside == [], f"requests left the machine: {outside}"
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.fixture
def shot() -> Callable[..., Path]:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = False) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take


@pytest.fixture
def admin(transactional_db):
    from django.contrib.auth.models import User

    return User.objects.create_superuser("admin", "admin@example.com", PASSWORD)


@pytest.fixture
def reviewer(transactional_db):
    from django.contrib.auth.models import User

    return User.objects.create_user("reviewer", password=PASSWORD, is_staff=True)
