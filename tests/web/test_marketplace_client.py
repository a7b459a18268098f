"""The marketplace client in a real browser (demo.mclient, BankID): the questionnaire and the ranked
matches with their explanation (BK-8), a therapist's public page with free slots (BK-4), reserve, pay on the
payment provider's page (the development stub's test card, BL-1) and see the confirmation (BK-15); my
bookings with the 24-hour rule shown before cancelling, and the full refund (BK-17); the consents page."""

from __future__ import annotations

import re

from browsing import finish_signing_in, no_horizontal_scroll
from playwright.sync_api import expect

from kit import demo


def sign_in_with_bankid(page, web: str) -> None:
    client = demo.BY_USERNAME["demo.mclient"]
    page.goto(f"{web}/sign-in/bankid")
    page.get_by_label("Personal number (12 digits)").fill(client.personal_number)
    page.get_by_label("Name").fill(client.display_name)
    page.get_by_role("button", name="Approve in the simulator").click()
    finish_signing_in(page)


def test_books_pays_sees_the_confirmation_and_cancels_with_the_rule_shown(page, platform):
    sign_in_with_bankid(page, platform.web)
    page.goto(f"{platform.web}/start?lang=en&switch=1")  # the switch: English from now on
    page.get_by_role("link", name="Find a therapist").click()
    page.locator("input[name=contact_reason]").first.check()
    page.get_by_role("button", name="Show therapists").click()

    expect(page.get_by_role("heading", name="Therapists for you")).to_be_visible()
    scores = [int(s) for s in page.locator(".card p strong").all_inner_texts()]
    assert scores and scores == sorted(scores, reverse=True), scores  # ranked
    page.get_by_text("Why").first.click()
    expect(page.get_by_role("columnheader", name="Points").first).to_be_visible()  # the explanation
    no_horizontal_scroll(page)

    profiles = page.get_by_role("link", name=re.compile("^See .* and free times$"))
    for index in range(profiles.count()):  # the first therapist with a free time
        profiles.nth(index).click()
        if page.get_by_role("button", name=re.compile("^Book ")).count():
            break
        page.go_back()
    else:
        raise AssertionError("no matched therapist has a free time")
    therapist = page.get_by_role("heading", level=1).inner_text()
    no_horizontal_scroll(page)
    page.get_by_role("button", name=re.compile("^Book ")).last.click()

    expect(page.get_by_role("heading", name="Pay")).to_be_visible()
    expect(page.get_by_label("Test card that is approved")).to_be_checked()
    no_horizontal_scroll(page)
    page.get_by_role("button", name=re.compile("^Pay ")).click()
    expect(page.get_by_role("heading", name="The booking is confirmed")).to_be_visible()
    expect(page.get_by_text(therapist).first).to_be_visible()

    page.get_by_role("link", name="My bookings").first.click()
    booking = page.locator(".card").filter(has_text=therapist).filter(has_text="Confirmed").first
    expect(booking.locator(".rule")).to_contain_text("more than 24 hours before the start")
    booking.get_by_role("link", name=re.compile("^Cancel the booking")).click()
    expect(page.locator("#rule")).to_contain_text("you get the whole amount back")  # before cancelling
    no_horizontal_scroll(page)
    page.get_by_role("button", name="Yes, cancel").click()
    expect(page.get_by_role("status")).to_have_text("The booking is cancelled. The whole amount is refunded.")

    page.goto(f"{platform.web}/marketplace/consents")
    expect(page.get_by_role("heading", name="Consents")).to_be_visible()
