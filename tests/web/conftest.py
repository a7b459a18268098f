"""Browser tests of the web app (services/web) on the shared platform (tests/journeys/people.py): Playwright
for Python driving Debian's chromium (``/usr/bin/chromium``, which `make test` installs through
deploy/servers.py; no browser is downloaded). Each test gets a fresh browser context (its own cookies);
a failing test leaves a screenshot of its page in ``var/screenshots/``."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "journeys"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
#: a phone's screen: every page must work at this width
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One chromium per test module: Playwright's sync API holds an event loop in this thread while it runs,
    and the async tests of other modules need the thread's loop free."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        launched.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):  # noqa: ANN001, ANN201
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def new_context(browser: Browser, request) -> Iterator[Callable[..., BrowserContext]]:
    """Makes browsers of their own (cookies and all), phone-sized, English by their Accept-Language (the
    account's language wins once signed in), with any other options (a SITHS card: ``client_certificates``)."""
    made: list[BrowserContext] = []

    def make(**options) -> BrowserContext:
        created = browser.new_context(viewport=PHONE, locale="en-GB", ignore_https_errors=True, **options)
        created.set_default_timeout(20_000)
        made.append(created)
        return created

    yield make
    failed = getattr(request.node, "report_call", None)
    for created in made:
        if failed is not None and failed.failed:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            for index, page in enumerate(created.pages):
                page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-{index}.png"), full_page=True)
        created.close()


@pytest.fixture
def context(new_context) -> BrowserContext:
    return new_context()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
