"""Playwright fixtures: one headless Debian Chromium per session, a fresh context per test.

Chromium comes from Debian (`apt-get install chromium`); Playwright never downloads a browser
here. Screenshots go to artifacts/ when a test fails, or when a test asks for one.
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from accounts.models import Role
from tests.browser import chromium_path
from tests.factories import TeamFactory, UserFactory

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# How long a test waits for a condition before it gives up: generous, because the machines
# are shared and a loaded one may take seconds to answer a request or to draw a frame. Tests
# wait for conditions (an answer handled, an element in its final state), never for time.
WAIT_MS = 30_000
# Playwright's assertions (expect) have a timeout of their own, 5 s unless set here: the
# context's default timeout covers only actions and wait_for_* calls.
expect.set_options(timeout=WAIT_MS)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    # Keep each phase's report on the test item, so the page fixture can tell a failure.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def people(db):
    """Team North: manager Maria and rep Alice, with full names the board shows."""
    north = TeamFactory(name="North")
    maria = UserFactory(
        username="maria", first_name="Maria", last_name="Rossi", role=Role.MANAGER, team=north
    )
    north.manager = maria
    north.save(update_fields=["manager"])
    alice = UserFactory(username="alice", first_name="Alice", last_name="Archer", team=north)
    return {"alice": alice, "maria": maria}


@pytest.fixture(scope="session")
def artifacts_dir(pytestconfig: pytest.Config) -> Path:
    path = pytestconfig.rootpath / "artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # While Playwright's sync API is open it leaves an asyncio loop marked as running in the
    # main thread, so Django would refuse ORM calls from the test ("async context"). The tests
    # really are synchronous; allow them for as long as the browser lives (browser tests are
    # ordered last by tests/conftest.py, so no other test runs without the guard).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(chromium_path()), headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _file_name(node_id: str, label: str = "") -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", node_id.removeprefix("tests/browser/"))
    return f"{name}-{label}.png" if label else f"{name}.png"


def _context(browser: Browser, **options: object) -> BrowserContext:
    context = browser.new_context(locale="en-US", timezone_id="UTC", **options)
    context.set_default_timeout(WAIT_MS)
    context.set_default_navigation_timeout(WAIT_MS)
    return context


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """``new_context(**options)``: another browser context (a second user, no JavaScript)
    with the same locale and waits as ``page``'s, closed after the test."""
    contexts: list[BrowserContext] = []

    def create(**options: object) -> BrowserContext:
        contexts.append(_context(browser, **options))
        return contexts[-1]

    yield create
    for context in contexts:
        context.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest, artifacts_dir: Path) -> Iterator[Page]:
    context = _context(browser)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        page.screenshot(path=artifacts_dir / _file_name(request.node.nodeid), full_page=True)
    context.close()


@pytest.fixture
def screenshot(
    page: Page, request: pytest.FixtureRequest, artifacts_dir: Path
) -> Callable[[str], Path]:
    """Save a full-page screenshot of the current page to artifacts/ under a label."""

    def take(label: str) -> Path:
        path = artifacts_dir / _file_name(request.node.nodeid, label)
        page.screenshot(path=path, full_page=True)
        return path

    return take
