"""Every link in every email lands on a web app page where the person acts, followed as a person does: the
mail is read from notify's development sink, the link opened in the web app (which talks only to the
gateway), the form submitted with its CSRF token. People sign in as people do (register + email login,
BankID simulator, password + the code from the sinks); the admin who authorises a therapist is the demo
admin, seeded as `make run` seeds the cast, signed in with password and the SMS code.

Regressions: an invited client can sign in; a BankID-only client adds an email and then gets the booking
confirmation; every template with a link has its link followed to a page that answers 200."""

from __future__ import annotations

import asyncio
import html
import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from booking.app import build as build_booking
from booking.settings import Settings as BookingSettings
from booking.testing import VALID_LICENCE
from gateway.app import build as build_gateway
from gateway.seed import seed_demo
from gateway.settings import Settings as GatewaySettings
from kit import demo
from kit.db import Database
from kit.testing import free_port, running_service, wait_for
from kit.testing.tokens import TokenIssuer
from notify.app import build as build_notify
from notify.messages.templates import LANGUAGES, _environment, catalogue, render
from notify.settings import Settings as NotifySettings
from notify.sink import start_sink
from web import session as sessions
from web.app import build as build_web
from web.settings import Settings as WebSettings

KEY = TokenIssuer()  # the gateway signs with it; booking verifies with its public half
PASSWORD = "Vinter-Lykta-Kompass-71"
B = "/api/booking"
#: template → status of the page its link opened, filled by the flows below (checked by the last test)
FOLLOWED: dict[str, int] = {}


@pytest.fixture(scope="module")
async def platform(test_env):
    gateway_port, booking_port, web_port = free_port(), free_port(), free_port()
    web_url = f"http://127.0.0.1:{web_port}"
    booking = test_env.settings(BookingSettings, database="booking_web", http_port=booking_port,
                                jwt_public_key=KEY.public_pem, app_base_url=web_url)
    notify = test_env.settings(NotifySettings, database="notify_web", smtp_port=free_port(), sender_poll_interval_s=0.1,
                               app_base_url=web_url)
    gateway = test_env.settings(GatewaySettings, database="gateway_web", http_port=gateway_port, app_base_url=web_url,
                                signing_key_pem=KEY.private_pem, services={"booking": f"http://127.0.0.1:{booking_port}"})
    web = test_env.settings(WebSettings, http_port=web_port, gateway_url=f"http://127.0.0.1:{gateway_port}")
    async with running_service(build_booking(booking), test_env, http=True), \
            running_service(build_notify(notify), test_env) as notify_service, \
            running_service(build_gateway(gateway), test_env, http=True) as gateway_service, \
            running_service(build_web(web), test_env, http=True, relay=False, migrate=False) as web_service:
        async with gateway_service.app.state.db.transaction() as session:
            await seed_demo(session, gateway_service.settings)  # the demo cast, as `make run` seeds it
        sink_db = Database(notify.database_url, pool_size=2)
        sink = await start_sink(sink_db, "127.0.0.1", notify.smtp_port)
        yield gateway_service, notify_service, web_service
        sink.close()
        await sink_db.dispose()


def bearer(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def mail(notify, address: str, subject_part: str, *, seen: int = 0) -> dict:
    async def find():
        found = [m for m in (await notify.client.get("/dev/mail", params={"to": address})).json()
                 if subject_part in m["subject"]]
        return found[0] if len(found) > seen else None

    return await wait_for(find, timeout=20, what=f"a mail to {address} about {subject_part!r}")


async def sms(notify, phone: str) -> str:
    async def find():
        found = (await notify.client.get("/dev/sms", params={"to": phone})).json()
        return found[0]["body"] if found else None

    return re.match(r"\d{6}", await wait_for(find, timeout=20, what=f"an SMS to {phone}"))[0]


def link_in(body: str, web, path: str) -> str:
    """The link to the web app's ``path`` in a mail; it must point at the web app's address."""
    found = re.search(rf"(http://\S+?){re.escape(path)}/([A-Za-z0-9_-]+)(\?lang=[a-z]{{2}})?", body)
    assert found, f"no {path} link in: {body}"
    assert found[1] == str(web.client.base_url).rstrip("/"), f"the link points at {found[1]}, not the web app"
    return found[0]


class Browser:
    """A person's browser without JavaScript: it keeps cookies, opens pages and submits their forms."""

    def __init__(self) -> None:
        self.http = httpx.AsyncClient(timeout=10)
        self.page: httpx.Response | None = None

    async def open(self, url: str, template: str | None = None) -> httpx.Response:
        self.page = await self.http.get(url)
        if template:
            FOLLOWED[template] = self.page.status_code
        return self.page

    async def submit(self, button: tuple[str, str] | None = None, **fields: str) -> httpx.Response:
        assert self.page is not None
        text = self.page.text
        action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', text)[1])
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', text))
        for name in fields:  # every field the test fills has a label on the page
            assert re.search(rf'<label for="{name}">', text), f"no label for {name}"
        data = {**hidden, **fields, **(dict([button]) if button else {})}
        self.page = await self.http.post(httpx.URL(str(self.page.url)).join(action), data=data)
        return self.page

    async def close(self) -> None:
        await self.http.aclose()


def text_of(response: httpx.Response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.text))


_ADMIN: dict[str, dict] = {}


async def admin_signed_in(gw, notify) -> dict:
    """The demo admin signs in with password and the SMS code from notify's sink, once for the module (as a
    person stays signed in; the gateway limits the codes an account gets)."""
    if "headers" in _ADMIN:
        return _ADMIN["headers"]
    started = await gw.client.post("/identity/password/login", json={"username": "demo.admin", "password": demo.PASSWORD})
    assert started.status_code == 200, started.text
    phone = demo.BY_USERNAME["demo.admin"].phone
    before = {m["received_at"] for m in (await notify.client.get("/dev/sms", params={"to": phone})).json()}

    async def new_code():
        found = [m for m in (await notify.client.get("/dev/sms", params={"to": phone})).json() if m["received_at"] not in before]
        return re.match(r"\d{6}", found[0]["body"])[0] if found else None

    code = await wait_for(new_code, timeout=20, what="the admin's SMS code")
    tokens = await gw.client.post("/identity/password/code", json={"attempt_id": started.json()["attempt_id"], "code": code})
    assert tokens.status_code == 200, tokens.text
    _ADMIN["headers"] = bearer(tokens.json())
    return _ADMIN["headers"]


async def therapist(gw, notify, *, phone: str | None = None, name: str = "Test Terapeut") -> tuple[str, dict]:
    """A therapist signs up, signs in with email and password, applies and is authorised (BK-1..BK-3)."""
    email = f"t.{uuid.uuid4().hex[:8]}@example.org"
    assert (await gw.client.post("/identity/register", json={"display_name": name, "email": email, "phone": phone,
                                                            "password": PASSWORD, "language": "en"})).status_code == 202
    tokens = (await gw.client.post("/identity/email/login", json={"email": email, "password": PASSWORD})).json()
    tokens = await accept_terms(gw, tokens)
    applied = await gw.client.post(f"{B}/therapists/application", headers=bearer(tokens), json={
        "name": name, "email": email, "licence_number": VALID_LICENCE, "agreement_version": "2026-01"})
    assert applied.status_code == 201, applied.text
    me = (await gw.client.get("/identity/me", headers=bearer(tokens))).json()
    admin = await admin_signed_in(gw, notify)
    reviewed = await gw.client.post(f"{B}/admin/applications/{me['id']}/review", headers=admin,
                                    json={"decision": "authorise"})
    assert reviewed.status_code == 200, reviewed.text
    return email, tokens


async def make_client(gw, tokens: dict, body: dict):
    """POST /identity/accounts as the therapist, again while the gateway has not yet learnt from booking's event
    that the therapist is authorised."""
    async def made():
        answer = await gw.client.post("/identity/accounts", headers=bearer(tokens), json=body)
        not_yet = answer.status_code == 403 and answer.json()["type"] == "/problems/therapist-not-authorised"
        return None if not_yet else answer

    return await wait_for(made, what="the gateway to learn that the therapist is authorised")


async def accept_terms(gw, tokens: dict) -> dict:
    if tokens["scope"] == "limited":
        tokens = (await gw.client.post("/identity/terms/accept", headers=bearer(tokens),
                                       json={"version": gw.settings.terms_version})).json()
    assert tokens["scope"] == "full", tokens
    return tokens


async def bankid(gw, personal_number: str, name: str) -> dict:
    """A BankID login; an account a therapist made is confirmed on the way (the person says it is theirs)."""
    ref = (await gw.client.post("/identity/bankid/auth")).json()["order_ref"]
    await gw.client.post("/identity/dev/bankid/sign", json={"order_ref": ref, "personal_number": personal_number, "name": name})
    done = (await gw.client.post("/identity/bankid/collect", json={"order_ref": ref})).json()
    if done["step"] == "confirm-account":
        done["tokens"] = (await gw.client.post("/identity/bankid/confirm", json={
            "confirm_token": done["confirm_account"]["confirm_token"], "confirm": True})).json()
    return await accept_terms(gw, done["tokens"])


# -- invitation → account → sign-in (BK-11) ---------------------------------------------------------------------------
async def test_an_invited_client_creates_the_account_on_the_web_page_and_signs_in(platform):
    gw, notify, web = platform
    _, me = await therapist(gw, notify, name="Test Inbjudare")
    email = f"inbjuden.{uuid.uuid4().hex[:6]}@example.org"
    invited = await gw.client.post(f"{B}/invitations", headers=bearer(me), json={"email": email, "language": "en"})
    assert invited.status_code == 201, invited.text
    browser = Browser()
    first = link_in((await mail(notify, email, "invites you"))["body"], web, "/invitations")
    page = await browser.open(first, "invitation")
    assert page.status_code == 200 and "Create your account" in page.text and '<html lang="en">' in page.text
    assert (await browser.open(first.replace("lang=en", "lang=nl"))).status_code == 200
    assert "Maak uw account aan" in browser.page.text  # the person may switch

    await gw.client.post(f"{B}/invitations/{invited.json()['id']}/resend", headers=bearer(me))
    reminder = link_in((await mail(notify, email, "Reminder"))["body"], web, "/invitations")
    assert (await browser.open(reminder, "invitation_reminder")).status_code == 200
    forged = Browser()  # a form posted without the page's cookie and token is refused
    refused = await forged.http.post(reminder, data={"display_name": "Test Förfalskad", "csrf_token": "x"})
    assert refused.status_code == 403
    await forged.close()
    empty = await browser.submit(display_name="")
    assert empty.status_code == 422 and 'role="alert"' in empty.text
    await browser.open(reminder)
    done = await browser.submit(display_name="Test Inbjuden Klient")
    assert done.status_code == 200 and "being created" in text_of(done)
    await browser.open(reminder)
    used = await browser.submit(display_name="Test Inbjuden Klient")
    assert used.status_code == 409 and "used already" in text_of(used)
    await browser.close()

    credentials = await mail(notify, email, "Your account with your therapist")
    username = re.search(r"Username: (\S+)", credentials["body"])[1]
    temporary = re.search(r"Temporary password: (\S+)", credentials["body"])[1]
    assert username == email
    started = await gw.client.post("/identity/password/login", json={"username": username, "password": temporary})
    assert started.status_code == 200, started.text  # it used to be 409 no-phone
    assert started.json()["sent_to"] == "email"
    code = re.search(r"\b(\d{6})\b", (await mail(notify, email, "login code"))["subject"])[1]
    limited = (await gw.client.post("/identity/password/code", json={"attempt_id": started.json()["attempt_id"],
                                                                     "code": code})).json()
    changed = (await gw.client.post("/identity/password/change", headers=bearer(limited),
                                    json={"current_password": temporary, "new_password": "Skymning-Fjord-Lanterna-3"})).json()
    tokens = await accept_terms(gw, changed)
    who = (await gw.client.get(f"{B}/whoami", headers=bearer(tokens))).json()
    assert who["roles"] == ["client"]
    clients = (await gw.client.get(f"{B}/clients", headers=bearer(me))).json()
    assert who["account_id"] in [c["client_id"] for c in clients]


# -- forgotten password on the web pages ------------------------------------------------------------------------------
async def test_a_forgotten_password_is_replaced_on_the_web_pages_with_the_sms_code(platform):
    gw, notify, web = platform
    phone = "+46700000801"
    email, _ = await therapist(gw, notify, phone=phone, name="Test Glömsk")
    browser = Browser()
    assert (await browser.open(f"{web.client.base_url}/password/forgot?lang=en")).status_code == 200
    sent = await browser.submit(login=email)
    assert sent.status_code == 200 and "emailed a link" in text_of(sent)
    reset = link_in((await mail(notify, email, "new password"))["body"], web, "/password/reset")
    page = await browser.open(reset, "password_reset")
    assert page.status_code == 200 and "SMS" in page.text
    differ = await browser.submit(new_password="Kustlinje-Morgon-Dimma-8", repeat_password="Kustlinje-Morgon-Dimma-9")
    assert differ.status_code == 422 and "not the same" in text_of(differ)
    weak = await browser.submit(new_password="password1234", repeat_password="password1234")
    assert weak.status_code == 422 and "not good enough" in text_of(weak)
    code_page = await browser.submit(new_password="Kustlinje-Morgon-Dimma-8", repeat_password="Kustlinje-Morgon-Dimma-8")
    assert code_page.status_code == 200 and "+4670" in text_of(code_page) and phone not in code_page.text
    done = await browser.submit(code=await sms(notify, phone))
    assert done.status_code == 200 and "sign in again" in text_of(done)
    assert (await gw.client.post("/identity/email/login", json={"email": email,
                                                                "password": "Kustlinje-Morgon-Dimma-8"})).status_code == 200
    spent = await browser.open(reset)
    assert spent.status_code == 404 and "does not work" in text_of(spent)
    await browser.close()


# -- a BankID-only client adds an email, then gets the confirmation -------------------------------------------------
async def test_a_bankid_only_client_adds_an_email_and_then_gets_the_booking_confirmation(platform):
    gw, notify, web = platform
    _, me = await therapist(gw, notify, name="Test Bokare")
    number = "19850505-0008"
    made = await make_client(gw, me, {"display_name": "Test Bankidklient", "roles": ["client"], "personal_number": number})
    assert made.status_code == 201
    client = await bankid(gw, number, "Test Bankidklient")
    email = f"bankid.{uuid.uuid4().hex[:6]}@example.org"
    assert (await gw.client.post("/identity/me/email", headers=bearer(client), json={"email": email})).status_code == 202
    browser = Browser()
    page = await browser.open(link_in((await mail(notify, email, "Bekräfta"))["body"], web, "/verify-email"), "verify_email")
    assert page.status_code == 200 and "Bekräfta din e-postadress" in page.text
    done = await browser.submit()
    assert done.status_code == 200 and "bekräftad" in text_of(done)
    await browser.close()
    assert (await gw.client.get("/identity/me", headers=bearer(client))).json()["email"] == email

    async def listed():
        return made.json()["id"] in [c["client_id"] for c in (await gw.client.get(f"{B}/clients", headers=bearer(me))).json()]

    await wait_for(listed, what="the client on the therapist's list")
    starts = (datetime.now(UTC) + timedelta(days=3)).replace(hour=9, minute=0, second=0, microsecond=0)
    slot = await gw.client.post(f"{B}/slots", headers=bearer(me), json={"starts_at": starts.isoformat(), "price_minor": 90000})
    assert slot.status_code == 201, slot.text
    booked = await gw.client.post(f"{B}/slots/{slot.json()['id']}/bookings", headers=bearer(me),
                                  json={"client_id": made.json()["id"], "payment": "paid_outside"})
    assert booked.status_code == 201, booked.text
    confirmation = await mail(notify, email, "har bokat en tid åt dig")
    assert "Test Bankidklient" in confirmation["body"]


# -- consent (JR-2) through the invitation of a second therapist ------------------------------------------------------
async def test_a_consent_request_is_answered_on_the_web_page(platform):
    gw, notify, web = platform
    _, earlier = await therapist(gw, notify, name="Test Tidigare")
    email = f"samtycke.{uuid.uuid4().hex[:6]}@example.org"
    made = (await make_client(gw, earlier, {"display_name": "Test Samtyckare", "roles": ["client"], "email": email,
                                            "personal_number": "19600101-0005"})).json()

    async def listed(tokens):
        async def check():
            return made["id"] in [c["client_id"] for c in (await gw.client.get(f"{B}/clients", headers=bearer(tokens))).json()]
        await wait_for(check, what="the client on the list")

    await listed(earlier)
    assert (await gw.client.post(f"{B}/clients/{made['id']}/notes", headers=bearer(earlier),
                                 json={"text": "Första samtalet."})).status_code == 201
    later_email, later = await therapist(gw, notify, name="Test Senare")
    await gw.client.post(f"{B}/invitations", headers=bearer(later), json={"email": email, "language": "sv"})
    browser = Browser()
    await browser.open(link_in((await mail(notify, email, "bjuder in dig"))["body"], web, "/invitations"))
    assert (await browser.submit(display_name="Test Samtyckare")).status_code == 200
    await listed(later)
    earlier_id = (await gw.client.get("/identity/me", headers=bearer(earlier))).json()["id"]
    asked = await gw.client.post(f"{B}/clients/{made['id']}/consents", headers=bearer(later),
                                 json={"earlier_therapists": [earlier_id]})
    assert asked.status_code == 201, asked.text
    page = await browser.open(link_in((await mail(notify, email, "ber om att få läsa"))["body"], web, "/consents"),
                              "consent_request")
    assert page.status_code == 200 and "Ja, jag godkänner" in page.text
    approved = await browser.submit(button=("decision", "approve"))
    assert approved.status_code == 200 and "godkänt" in text_of(approved)
    answer = await mail(notify, later_email, "has answered")
    assert "approved" in answer["body"]

    # the client signs in on the web with BankID (the simulator's form; no JavaScript here, so the page's
    # polling is done by hand), confirms the account the therapist made, and withdraws the consent there
    page = await browser.open(f"{web.client.base_url}/sign-in/bankid")
    assert page.status_code == 200 and 'class="qr"' in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    simulated = await browser.submit(personal_number="196001010005", name="Test Samtyckare")
    assert simulated.status_code == 200 and "simulatorn" in text_of(simulated)

    async def collected():
        polled = await browser.http.post(f"{web.client.base_url}/sign-in/bankid/collect", data={"csrf_token": csrf})
        return polled if polled.status_code == 303 else None

    claim = await wait_for(collected, timeout=20, what="the BankID order collected")
    assert claim.headers["location"].startswith("/sign-in/bankid/confirm")
    page = await browser.open(f"{web.client.base_url}{claim.headers['location']}")
    assert "Test Tidigare" in text_of(page)  # who made the account
    step = await browser.submit(button=("decision", "confirm"))
    if step.headers["location"] == "/sign-in/terms":
        await browser.open(f"{web.client.base_url}/sign-in/terms")
        step = await browser.submit(accept="yes")
    assert step.status_code == 303 and step.headers["location"] == "/start", step.text
    page = await browser.open(f"{web.client.base_url}/marketplace/consents")
    assert "Test Senare vill läsa anteckningar av Test Tidigare" in text_of(page) and "Godkänt" in text_of(page)
    withdraw = html.unescape(re.search(r'action="(/marketplace/consents/[^"]+/withdraw[^"]*)"', page.text)[1])
    withdrawn = await browser.http.post(f"{web.client.base_url}{withdraw}", data={"csrf_token": csrf})
    assert withdrawn.status_code == 303
    page = await browser.open(f"{web.client.base_url}{withdrawn.headers['location']}")
    assert "Återkallat" in text_of(page)

    # a new request is answered on the consents page itself, once
    asked = await gw.client.post(f"{B}/clients/{made['id']}/consents", headers=bearer(later),
                                 json={"earlier_therapists": [earlier_id]})
    assert asked.status_code == 201, asked.text
    page = await browser.open(f"{web.client.base_url}/marketplace/consents")
    assert "Väntar på ditt svar" in text_of(page)
    answer_at = html.unescape(re.search(r'action="(/marketplace/consents/[^"]+/answer[^"]*)"', page.text)[1])
    denied = await browser.http.post(f"{web.client.base_url}{answer_at}", data={"csrf_token": csrf, "decision": "deny"})
    assert denied.status_code == 303
    page = await browser.open(f"{web.client.base_url}{denied.headers['location']}")
    assert "Nekat" in text_of(page) and "Väntar på ditt svar" not in text_of(page)
    again = await browser.http.post(f"{web.client.base_url}{answer_at}", data={"csrf_token": csrf, "decision": "approve"})
    assert again.status_code == 409 and "redan" in text_of(again)
    assert "denied" in (await mail(notify, later_email, "has answered", seen=1))["body"]
    await browser.close()


# -- the mails whose links open the start page ---------------------------------------------------------------------
async def test_the_sign_in_links_and_the_forgotten_password_link_open_pages(platform):
    gw, notify, web = platform
    email, _ = await therapist(gw, notify, name="Test Dubbel")
    authorised = await mail(notify, email, "authorised")
    browser = Browser()
    start = re.search(r"(http://\S+)", authorised["body"])[1]
    assert start.startswith(str(web.client.base_url).rstrip("/"))
    assert (await browser.open(start, "account_authorised")).status_code == 200
    await gw.client.post("/identity/register", json={"display_name": "Test Dubbel", "email": email, "password": PASSWORD})
    tried = await mail(notify, email, "tried to register")
    for url in re.findall(r"(http://\S+?)[.,]?(?:\s|$)", tried["body"]):
        assert (await browser.open(url)).status_code == 200, url
    FOLLOWED["registration_attempted"] = 200
    await browser.close()


def _variables(template: dict[str, str]) -> set[str]:
    from jinja2 import meta

    return set().union(*(meta.find_undeclared_variables(_environment().parse(part)) for part in template.values()))


async def test_every_link_in_every_mail_template_opens_a_page(platform):
    """Every template with a link: its producer's real link was followed above (a new template with a link
    and no flow here fails); and every address a template builds from the web app's address answers 200."""
    _, notify, web = platform
    linked = {name for name, template in catalogue()["en"].items() if _variables(template) & {"link", "login_url"}}
    followed_by_flow = {name for name in linked if "link" in _variables(catalogue()["en"][name])}
    missing = {name for name in followed_by_flow if FOLLOWED.get(name) != 200}
    assert not missing, f"no link followed to a 200 page for {sorted(missing)}: {FOLLOWED}"
    base = notify.settings.app_base_url
    assert base == str(web.client.base_url).rstrip("/")
    browser = Browser()
    for language in LANGUAGES:
        for name in sorted(linked - followed_by_flow):  # the sign-in links: built from the setting alone
            sample = {"name": "Test", "username": "test", "temporary_password": "x", "login_url": base}
            body = render(name, language, sample).body
            for url in re.findall(r"(http://\S+?)[.,]?(?:\s|$)", body):
                assert (await browser.open(url)).status_code == 200, (name, language, url)
    await browser.close()


# -- the signed-in session: refreshed through the gateway as the access token expires ---------------------------------
async def test_the_session_is_refreshed_through_the_gateway_once_for_requests_that_come_together(platform, test_env):
    """A gateway whose access tokens live 30 s (its shortest): every call the web app makes for the person
    refreshes first (web.session: 30 s before expiry). Three pages opened at once with the same cookie share
    one refresh (a refresh token used twice would end the session), and the session goes on after them."""
    gw, _, _ = platform
    short = test_env.settings(GatewaySettings, database="gateway_web", http_port=free_port(), access_token_ttl_s=30,
                              app_base_url=gw.settings.app_base_url, signing_key_pem=KEY.private_pem,
                              services=gw.settings.services)
    async with running_service(build_gateway(short), test_env, http=True, relay=False, migrate=False) as gateway:
        settings = test_env.settings(WebSettings, http_port=free_port(), gateway_url=str(gateway.client.base_url))
        async with running_service(build_web(settings), test_env, http=True, relay=False, migrate=False) as web:
            email = f"t.{uuid.uuid4().hex[:8]}@example.org"
            assert (await gateway.client.post("/identity/register", json={
                "display_name": "Test Sessionen", "email": email, "password": PASSWORD, "language": "en"})).status_code == 202
            browser = Browser()
            await browser.open(f"{web.client.base_url}/sign-in/password")
            signed_in = await browser.submit(login=email, password=PASSWORD)
            assert signed_in.status_code == 303 and signed_in.headers["location"] == "/sign-in/terms", signed_in.text
            await browser.open(f"{web.client.base_url}/sign-in/terms")
            terms = await browser.submit(accept="yes")
            assert terms.status_code == 303 and terms.headers["location"] == "/start", terms.text
            before = browser.http.cookies["web_session"]

            # the terms page asks the gateway (GET /identity/me) as the person, then sends them on: each refreshes
            pages = await asyncio.gather(*(browser.http.get(f"{web.client.base_url}/sign-in/terms") for _ in range(3)))
            assert [p.headers["location"] for p in pages] == ["/sign-in/finish"] * 3, [p.text[:200] for p in pages]
            secret = settings.cookie_secret.get_secret_value()
            renewed = {sessions.decode(secret, p.cookies["web_session"]).refresh_token for p in pages}
            assert len(renewed) == 1  # one refresh: the same new tokens for all three
            assert sessions.decode(secret, before).refresh_token not in renewed
            browser.http.cookies.set("web_session", pages[0].cookies["web_session"])
            again = await browser.http.get(f"{web.client.base_url}/sign-in/terms")
            assert again.headers["location"] == "/sign-in/finish"  # the session goes on: no refresh token was reused
            start = await browser.open(f"{web.client.base_url}/start")
            assert start.status_code == 200 and "Hello Test Sessionen" in text_of(start)
            await browser.close()
