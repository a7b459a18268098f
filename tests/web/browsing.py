"""What a person does in the web app's sign-in pages, shared by the browser tests."""

from __future__ import annotations

import re
from datetime import datetime

from playwright.sync_api import Page, expect


def no_horizontal_scroll(page: Page) -> None:
    """The page fits a phone's width (390 px): nothing wider than the screen."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), page.url


def finish_signing_in(page: Page) -> None:
    """The steps a first sign-in may still ask: the terms (the test's people have their own passwords)."""
    page.wait_for_url(re.compile(r"/(start|sign-in/terms|sign-in/choose-client|sign-in/password-change)"))
    if "/sign-in/terms" in page.url:
        page.get_by_role("checkbox").check()
        page.get_by_role("button").last.click()
        page.wait_for_url(re.compile(r"/(start|sign-in/choose-client)"))


def sign_in_with_password(page: Page, platform, web: str, username: str, password: str, phone: str) -> None:
    """Username + password, then the code the SMS to ``phone`` brought (read from notify's sink)."""
    page.goto(f"{web}/sign-in")
    page.get_by_role("link", name="Username or email and password").click()
    page.get_by_label("Username or email address").fill(username)
    page.get_by_label("Password").fill(password)
    before: datetime | None = platform.last_received(phone, "sms")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Enter the code")).to_be_visible()
    page.get_by_label("Code (6 digits)").fill(platform.code(phone, before))
    page.get_by_role("button", name="Confirm").click()
