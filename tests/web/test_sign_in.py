"""Signing in to the web app in a real browser, each way people sign in (GW-1..GW-6), as the demo people
(kit.demo): BankID with the QR and the development simulator; SITHS with the card's certificate (the
development certificates in var/siths/) on the gateway's mutual-TLS port; username + password + the SMS code,
then choosing the client to act for (a representative), in the account's language; the first login's own
password and the terms; signing out. The pages fit a phone's screen."""

from __future__ import annotations

import re
import uuid

from browsing import finish_signing_in, no_horizontal_scroll, sign_in_with_password
from people import ok
from playwright.sync_api import expect

from kit import demo


def test_bankid_with_the_qr_and_the_simulator(page, platform):
    client = demo.BY_USERNAME["demo.mclient"]
    page.goto(f"{platform.web}/start")  # not signed in: to the sign-in page, and back after it
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))
    page.get_by_role("link", name="BankID").click()
    expect(page.get_by_role("img", name="QR code for BankID")).to_be_visible()
    first = page.locator(".qr svg").inner_html()
    page.wait_for_function("code => document.querySelector('.qr svg').innerHTML !== code", arg=first)  # animated
    no_horizontal_scroll(page)
    page.get_by_label("Personal number (12 digits)").fill(client.personal_number)
    page.get_by_label("Name").fill(client.display_name)
    page.get_by_role("button", name="Approve in the simulator").click()
    finish_signing_in(page)
    expect(page).to_have_url(re.compile(r"/start$"))
    expect(page.get_by_role("heading", name=f"Hej {client.display_name}")).to_be_visible()  # the account's Swedish


def test_siths_with_the_cards_certificate(new_context, platform):
    person = demo.BY_USERNAME["demo.prescriber"]
    cards = platform.siths
    context = new_context(client_certificates=[{
        "origin": platform.mtls, "certPath": str(cards / f"{person.username}.pem"),
        "keyPath": str(cards / f"{person.username}-key.pem")}])
    page = context.new_page()
    page.goto(f"{platform.web}/sign-in")
    page.get_by_role("link", name="SITHS card").click()
    expect(page.get_by_text("var/siths/")).to_be_visible()  # how to get a card in development
    page.get_by_role("button", name="Sign in with the card").click()
    finish_signing_in(page)
    expect(page.get_by_role("heading", name=f"Hej {person.display_name}")).to_be_visible()


def test_password_and_sms_code_then_the_client_to_act_for_and_sign_out(page, platform):
    person = demo.BY_USERNAME["demo.representative"]
    sign_in_with_password(page, platform, platform.web, person.username, demo.PASSWORD, person.phone)
    finish_signing_in(page)
    # the account's language (Dutch), though the browser asks for English
    expect(page.get_by_role("heading", name="Kies een cliënt")).to_be_visible()
    no_horizontal_scroll(page)
    page.get_by_label("Demo Cliënt Twee").check()
    page.get_by_role("button", name="Kiezen").click()
    expect(page).to_have_url(re.compile(r"/start$"))
    expect(page.get_by_role("status").filter(has_text="U treedt op voor Demo Cliënt Twee")).to_be_visible()

    page.get_by_role("button", name="Uitloggen").first.click()
    expect(page.get_by_text("U bent uitgelogd.")).to_be_visible()
    page.goto(f"{platform.web}/start")
    expect(page).to_have_url(re.compile(r"/sign-in\?next="))


def test_the_first_login_asks_for_an_own_password_and_the_terms(page, platform):
    username = f"test.web.{uuid.uuid4().hex[:6]}"
    email, phone = f"{username}@example.org", f"+4670000{uuid.uuid4().int % 9000 + 1000}"
    ok(platform.sign_in("demo.admin").post("/identity/accounts", json={
        "display_name": "Test Webbklient", "roles": ["client"], "email": email, "phone": phone, "username": username,
        "language": "sv"}), 201)
    temporary = re.search(r"Tillfälligt lösenord: (\S+)", platform.mail(email, "konto")["body"])[1]

    sign_in_with_password(page, platform, platform.web, username, temporary, phone)
    expect(page).to_have_url(re.compile(r"/sign-in/password-change"))
    page.get_by_label("Nuvarande lösenord").fill(temporary)
    page.get_by_label("Nytt lösenord").fill("kort")
    page.get_by_label("Upprepa lösenordet").fill("kort")
    page.get_by_role("button", name="Spara lösenordet").click()
    expect(page.get_by_role("alert")).to_contain_text("Lösenordet räcker inte")  # announced, not a 500
    page.get_by_label("Nuvarande lösenord").fill(temporary)
    page.get_by_label("Nytt lösenord").fill("Vinter-Lykta-Kompass-71")
    page.get_by_label("Upprepa lösenordet").fill("Vinter-Lykta-Kompass-71")
    page.get_by_role("button", name="Spara lösenordet").click()
    expect(page).to_have_url(re.compile(r"/sign-in/terms"))
    page.get_by_role("button", name="Fortsätt").click()  # the box not ticked: the browser's own check stops it
    page.get_by_label("Jag godkänner användarvillkoren").check()
    page.get_by_role("button", name="Fortsätt").click()
    expect(page.get_by_role("heading", name="Hej Test Webbklient")).to_be_visible()
