"""Getting back in and keeping in touch, as people do it through the gateway with real servers: a forgotten
password by the emailed link (then the SMS code), the login code by email for an account without a
mobile, an email and a phone added and verified by a code, and the first BankID login into an account a
therapist made, confirmed or declined. Everyone signs in as a person: BankID simulator, password and the
code read from notify's development sinks."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from gateway.app import build as build_gateway
from gateway.settings import Settings as GatewaySettings
from kit.db import Database
from kit.testing import fetch, free_port, probe, running_service, wait_for
from notify.app import build as build_notify
from notify.settings import Settings as NotifySettings
from notify.sink import start_sink

PASSWORD = "Vinter-Lykta-Kompass-71"


@pytest.fixture(scope="module")
async def platform(test_env):
    notify = test_env.settings(NotifySettings, database="notify_recovery", smtp_port=free_port(), sender_poll_interval_s=0.1)
    gateway = test_env.settings(GatewaySettings, database="gateway_recovery", http_port=free_port(),
                                app_base_url="http://web.example")
    async with running_service(build_notify(notify), test_env) as notify_service, \
            running_service(build_gateway(gateway), test_env, http=True) as gateway_service:
        sink_db = Database(notify.database_url, pool_size=2)
        sink = await start_sink(sink_db, "127.0.0.1", notify.smtp_port)
        yield gateway_service, notify_service
        sink.close()
        await sink_db.dispose()


def bearer(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def mail(notify, address: str, subject_part: str, *, seen: int = 0) -> dict:
    """The newest mail to ``address`` whose subject holds ``subject_part`` (after ``seen`` earlier ones)."""
    async def find():
        found = [m for m in (await notify.client.get("/dev/mail", params={"to": address})).json()
                 if subject_part in m["subject"]]
        return found[0] if len(found) > seen else None

    return await wait_for(find, timeout=20, what=f"a mail to {address} about {subject_part!r}")


async def sms(notify, phone: str, *, seen: int = 0) -> dict:
    async def find():
        found = (await notify.client.get("/dev/sms", params={"to": phone})).json()
        return found[0] if len(found) > seen else None

    return await wait_for(find, timeout=20, what=f"an SMS to {phone}")


async def mails_to(notify, address: str) -> list[dict]:
    return (await notify.client.get("/dev/mail", params={"to": address})).json()


async def sign_up(gw, *, phone: str | None = None, name: str = "Test Terapeut") -> tuple[str, dict]:
    """A therapist signs up (BK-1) and signs in with email and password; returns the email and tokens."""
    email = f"t.{uuid.uuid4().hex[:8]}@example.org"
    registered = await gw.client.post("/identity/register", json={"display_name": name, "email": email, "phone": phone,
                                                                 "password": PASSWORD, "language": "en"})
    assert registered.status_code == 202, registered.text
    tokens = (await gw.client.post("/identity/email/login", json={"email": email, "password": PASSWORD})).json()
    return email, await accept_terms(gw, tokens)


async def accept_terms(gw, tokens: dict) -> dict:
    if tokens["scope"] == "limited":
        tokens = (await gw.client.post("/identity/terms/accept", headers=bearer(tokens),
                                       json={"version": gw.settings.terms_version})).json()
    assert tokens["scope"] == "full", tokens
    return tokens


async def bankid(gw, personal_number: str, name: str) -> dict:
    """A BankID login through the simulator; the collect answer when complete."""
    ref = (await gw.client.post("/identity/bankid/auth")).json()["order_ref"]
    signed = await gw.client.post("/identity/dev/bankid/sign", json={"order_ref": ref, "personal_number": personal_number,
                                                                    "name": name})
    assert signed.status_code == 204
    done = (await gw.client.post("/identity/bankid/collect", json={"order_ref": ref})).json()
    assert done["status"] == "complete", done
    return done


async def me(gw, tokens: dict) -> dict:
    response = await gw.client.get("/identity/me", headers=bearer(tokens))
    assert response.status_code == 200, response.text
    return response.json()


def link_token(body: str, path: str) -> str:
    return re.search(rf"http://web\.example{path}/([A-Za-z0-9_-]+)", body)[1]


async def audit_events(gw, account_id: str) -> list[str]:
    rows = await fetch(gw.settings, "SELECT event FROM login_audit WHERE account_id = $1 ORDER BY id", uuid.UUID(account_id))
    return [r["event"] for r in rows]


# -- forgotten password -----------------------------------------------------------------------------------------------
async def test_a_forgotten_password_by_the_emailed_link_and_the_sms_code_ends_every_session(platform, test_env):
    gw, notify = platform
    phone = "+46700000711"
    email, tokens = await sign_up(gw, phone=phone)
    account_id = (await me(gw, tokens))["id"]

    unknown = await gw.client.post("/identity/password/forgot", json={"login": "nobody.at.all@example.org"})
    asked = await gw.client.post("/identity/password/forgot", json={"login": email})
    assert asked.status_code == unknown.status_code == 202 and asked.json() == unknown.json()  # no enumeration
    reset_mail = await mail(notify, email, "new password")
    assert "30" in reset_mail["body"]
    token = link_token(reset_mail["body"], "/password/reset")
    stored = await fetch(gw.settings, "SELECT token_hash FROM password_resets WHERE account_id = $1", uuid.UUID(account_id))
    assert stored and token not in json.dumps([dict(r) for r in stored])  # only a hash at rest

    check = (await gw.client.post("/identity/password/reset/check", json={"token": token})).json()
    assert check["step"] == "choose-password" and check["needs_code"] is True
    weak = await gw.client.post("/identity/password/reset", json={"token": token, "new_password": "short"})
    assert weak.status_code == 422 and "at least 12 characters" in weak.json()["detail"]
    new_password = "Havsorn-Fyrtorn-Granskog-5"
    chosen = (await gw.client.post("/identity/password/reset", json={"token": token, "new_password": new_password})).json()
    assert chosen["step"] == "code" and chosen["sent_to"].endswith("11") and phone not in chosen["sent_to"]
    code = re.match(r"\d{6}", (await sms(notify, phone))["body"])[0]
    assert (await gw.client.post("/identity/email/login", json={"email": email, "password": new_password})).status_code == 401

    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    refused = await gw.client.post("/identity/password/reset/code", json={"token": token, "code": wrong})
    assert refused.status_code == 401 and refused.json()["detail"] == "wrong code"
    async with probe(test_env, "gateway.session_ended.v1") as ended:
        done = await gw.client.post("/identity/password/reset/code", json={"token": token, "code": code})
        assert done.status_code == 200 and done.json()["step"] == "done"
        event = json.loads((await ended.next()).body)["payload"]
    assert event["account_id"] == account_id
    assert (await gw.client.post("/identity/token/refresh", json={"refresh_token": tokens["refresh_token"]})).status_code == 401
    assert (await gw.client.post("/identity/email/login", json={"email": email, "password": PASSWORD})).status_code == 401
    assert (await gw.client.post("/identity/email/login", json={"email": email, "password": new_password})).status_code == 200

    again = await gw.client.post("/identity/password/reset/check", json={"token": token})
    assert again.status_code == 404 and again.json()["type"] == "/problems/reset-link-not-valid"  # single use
    events = await audit_events(gw, account_id)
    assert {"password_reset_requested", "code_failed", "password_reset"} <= set(events)


async def test_without_a_mobile_the_new_password_counts_at_once_and_a_newer_link_replaces_the_older(platform):
    gw, notify = platform
    email, _ = await sign_up(gw)
    await gw.client.post("/identity/password/forgot", json={"login": email})
    first = link_token((await mail(notify, email, "new password"))["body"], "/password/reset")
    await gw.client.post("/identity/password/forgot", json={"login": email.upper()})  # the same address, as typed
    await gw.client.post("/identity/password/forgot", json={"login": email})
    second = link_token((await mail(notify, email, "new password", seen=1))["body"], "/password/reset")
    assert (await gw.client.post("/identity/password/reset/check", json={"token": first})).status_code == 404
    check = (await gw.client.post("/identity/password/reset/check", json={"token": second})).json()
    assert check == {**check, "step": "choose-password", "needs_code": False}
    done = await gw.client.post("/identity/password/reset", json={"token": second, "new_password": "Kustlinje-Morgon-Dimma-8"})
    assert done.status_code == 200 and done.json()["step"] == "done"
    assert (await gw.client.post("/identity/email/login", json={"email": email,
                                                                "password": "Kustlinje-Morgon-Dimma-8"})).status_code == 200
    bad = await gw.client.post("/identity/password/reset/check", json={"token": "x"})
    assert bad.status_code == 422


# -- the login code by email ------------------------------------------------------------------------------------------
async def test_a_password_account_without_a_mobile_gets_its_login_code_by_email(platform):
    gw, notify = platform
    email, _ = await sign_up(gw, name="Test Utan Mobil")
    started = await gw.client.post("/identity/password/login", json={"username": email, "password": PASSWORD})
    assert started.status_code == 200, started.text
    assert started.json()["sent_to"] == "email" and started.json()["to"] == f"{email[0]}***@example.org"
    code = re.search(r"\b(\d{6})\b", (await mail(notify, email, "login code"))["subject"])[1]
    tokens = await gw.client.post("/identity/password/code", json={"attempt_id": started.json()["attempt_id"], "code": code})
    assert tokens.status_code == 200 and tokens.json()["scope"] == "full"


# -- email and phone --------------------------------------------------------------------------------------------------
async def test_a_bankid_client_adds_and_verifies_an_email_and_a_phone(platform, test_env):
    gw, notify = platform
    tokens = await accept_terms(gw, (await bankid(gw, "19850505-0008", "Test Bankidklient"))["tokens"])
    account = await me(gw, tokens)
    assert account["email"] is None and account["phone"] is None
    email = f"b.{uuid.uuid4().hex[:8]}@example.org"

    sent = await gw.client.post("/identity/me/email", headers=bearer(tokens), json={"email": email})
    assert sent.status_code == 202 and sent.json()["sent_to"] == "email"
    code = re.search(r"\b(\d{6})\b", (await mail(notify, email, "Bekräfta din e-post"))["body"])[1]
    assert (await me(gw, tokens))["email"] is None  # not before the code
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    attempt = {"verification_id": sent.json()["verification_id"]}
    assert (await gw.client.post("/identity/me/contact/confirm", headers=bearer(tokens),
                                 json={**attempt, "code": wrong})).status_code == 401
    async with probe(test_env, "gateway.contact_details_changed.v1") as changed:
        confirmed = await gw.client.post("/identity/me/contact/confirm", headers=bearer(tokens), json={**attempt, "code": code})
        assert confirmed.status_code == 200 and confirmed.json()["email"] == email
        payload = json.loads((await changed.next()).body)["payload"]
    assert payload["account_id"] == account["id"] and payload["email"] == email
    assert (await gw.client.post("/identity/me/contact/confirm", headers=bearer(tokens),
                                 json={**attempt, "code": code})).status_code == 401  # used

    phone = "+46700000712"
    sent = await gw.client.post("/identity/me/phone", headers=bearer(tokens), json={"phone": phone})
    assert sent.status_code == 202 and sent.json()["to"] == "+4670*****12"
    code = re.match(r"\d{6}", (await sms(notify, phone))["body"])[0]
    confirmed = await gw.client.post("/identity/me/contact/confirm", headers=bearer(tokens),
                                     json={"verification_id": sent.json()["verification_id"], "code": code})
    assert confirmed.json() == {"email": email, "phone": phone}
    assert "contact_verified" in await audit_events(gw, account["id"])
    bad = await gw.client.post("/identity/me/phone", headers=bearer(tokens), json={"phone": "0701234567"})
    assert bad.status_code == 422 and "phone" in bad.json()["detail"]


async def test_an_email_another_account_has_gets_the_same_answer_and_can_never_be_confirmed(platform):
    gw, notify = platform
    owner_email, _ = await sign_up(gw, name="Test Ägare")
    tokens = await accept_terms(gw, (await bankid(gw, "19750101-0016", "Test Nyfiken"))["tokens"])
    fresh = f"n.{uuid.uuid4().hex[:8]}@example.org"
    answers = [await gw.client.post("/identity/me/email", headers=bearer(tokens), json={"email": value})
               for value in (fresh, owner_email)]
    assert [a.status_code for a in answers] == [202, 202]
    assert set(answers[0].json()) == set(answers[1].json())
    told = await mail(notify, owner_email, "tried to register")  # the owner hears of it; no code goes there
    assert "Bekräfta" not in " ".join(m["subject"] for m in await mails_to(notify, owner_email))
    assert told
    for guess in ("000000", "123456"):
        refused = await gw.client.post("/identity/me/contact/confirm", headers=bearer(tokens),
                                       json={"verification_id": answers[1].json()["verification_id"], "code": guess})
        assert refused.status_code == 401 and refused.json()["detail"] == "wrong code"
    assert (await me(gw, tokens))["email"] is None
    someone_else = await accept_terms(gw, (await bankid(gw, "19750101-0024", "Test Annan"))["tokens"])
    theirs = await gw.client.post("/identity/me/contact/confirm", headers=bearer(someone_else),
                                  json={"verification_id": answers[0].json()["verification_id"], "code": "000000"})
    assert theirs.status_code == 404  # another account's verification is nobody's business


async def test_the_verification_emails_link_confirms_the_address_once(platform):
    gw, notify = platform
    tokens = await accept_terms(gw, (await bankid(gw, "19600101-0005", "Test Länkklick"))["tokens"])
    email = f"l.{uuid.uuid4().hex[:8]}@example.org"
    await gw.client.post("/identity/me/email", headers=bearer(tokens), json={"email": email})
    token = link_token((await mail(notify, email, "Bekräfta"))["body"], "/verify-email")
    assert (await gw.client.post("/identity/contact/verify-link", json={"token": token})).status_code == 200
    assert (await me(gw, tokens))["email"] == email
    again = await gw.client.post("/identity/contact/verify-link", json={"token": token})
    assert again.status_code == 404 and again.json()["type"] == "/problems/verification-link-not-valid"


# -- BankID into an account someone else made -------------------------------------------------------------------------
async def test_the_first_bankid_login_into_an_account_a_therapist_made_asks_the_person_to_confirm_it(platform):
    gw, _ = platform
    _, therapist = await sign_up(gw, name="Test Terapeut Skapare")
    number = "19121212-1212"
    made = await gw.client.post("/identity/accounts", headers=bearer(therapist), json={
        "display_name": "Test Klient Gjord", "roles": ["client"], "personal_number": number})
    assert made.status_code == 201, made.text
    again = await gw.client.post("/identity/accounts", headers=bearer(therapist), json={
        "display_name": "Test Klient Gjord", "roles": ["client"], "personal_number": number})
    fresh = await gw.client.post("/identity/accounts", headers=bearer(therapist), json={
        "display_name": "Test Klient Ny", "roles": ["client"], "personal_number": "19900101-0017"})
    # the personal-number oracle is gone: an existing person and a new one get the same answer
    assert again.status_code == fresh.status_code == 201 and set(again.json()) == set(fresh.json())
    assert again.json()["temporary_password_sent"] == fresh.json()["temporary_password_sent"]

    first = await bankid(gw, number, "Test Klient Gjord")
    assert first["tokens"] is None and first["step"] == "confirm-account"
    offer = first["confirm_account"]
    assert offer["made_by"] == "Test Terapeut Skapare" and "1212" not in json.dumps(offer)
    tokens = await gw.client.post("/identity/bankid/confirm", json={"confirm_token": offer["confirm_token"], "confirm": True})
    assert tokens.status_code == 200
    assert (await me(gw, await accept_terms(gw, tokens.json())))["id"] == made.json()["id"]
    replay = await gw.client.post("/identity/bankid/confirm", json={"confirm_token": offer["confirm_token"], "confirm": True})
    assert replay.status_code == 401
    later = await bankid(gw, number, "Test Klient Gjord")  # confirmed once: later logins go straight in
    assert later["step"] is None and (await me(gw, await accept_terms(gw, later["tokens"])))["id"] == made.json()["id"]
    assert "bankid_account_confirmed" in await audit_events(gw, made.json()["id"])


async def test_a_person_who_declines_the_account_made_for_them_gets_their_own(platform):
    gw, _ = platform
    _, therapist = await sign_up(gw, name="Test Terapeut Två")
    number = "19800101-0019"
    made = (await gw.client.post("/identity/accounts", headers=bearer(therapist), json={
        "display_name": "Test Fel Person", "roles": ["client"], "personal_number": number})).json()
    offer = (await bankid(gw, number, "Test Rätt Person"))["confirm_account"]
    declined = await gw.client.post("/identity/bankid/confirm", json={"confirm_token": offer["confirm_token"], "confirm": False})
    assert declined.status_code == 200
    own = await me(gw, await accept_terms(gw, declined.json()))
    assert own["id"] != made["id"] and own["display_name"] == "Test Rätt Person" and own["roles"] == ["client"]
    later = await bankid(gw, number, "Test Rätt Person")
    assert later["step"] is None and (await me(gw, await accept_terms(gw, later["tokens"])))["id"] == own["id"]
    assert "bankid_account_declined" in await audit_events(gw, made["id"])


async def test_asking_again_and_again_for_one_address_is_throttled_alike_for_known_and_unknown(platform):
    gw, notify = platform
    email, _ = await sign_up(gw, name="Test Ivrig")
    answers = {}
    for login in (email, f"nobody.{uuid.uuid4().hex[:6]}@example.org"):
        answers[login] = [(await gw.client.post("/identity/password/forgot", json={"login": login})).status_code
                          for _ in range(7)]
    known, unknown = answers.values()
    assert known == unknown and known[:5] == [202] * 5 and 429 in known[5:]  # kit.throttle per address
    assert len([m for m in await mails_to(notify, email) if "new password" in m["subject"]]) <= 5


async def test_the_reset_link_and_the_codes_are_not_kept_in_the_outbox_once_sent(platform):
    gw, notify = platform
    email, tokens = await sign_up(gw, name="Test Hemlig")
    await gw.client.post("/identity/password/forgot", json={"login": email})
    token = link_token((await mail(notify, email, "new password"))["body"], "/password/reset")
    added = f"h.{uuid.uuid4().hex[:8]}@example.org"
    await gw.client.post("/identity/me/email", headers=bearer(tokens), json={"email": added})
    verify_mail = (await mail(notify, added, "Confirm your email"))["body"]
    code, link = re.search(r"code (\d{6})", verify_mail)[1], link_token(verify_mail, "/verify-email")

    async def sent_rows():
        rows = await fetch(gw.settings, "SELECT event_type, body::text AS body FROM outbox WHERE published_at IS NOT NULL "
                           "AND event_type IN ('gateway.password_reset_requested.v1', 'gateway.verification_code_requested.v1')")
        return rows if len(rows) >= 2 else None

    for row in await wait_for(sent_rows, what="the link and the code marked sent"):
        payload = json.loads(row["body"])["payload"]
        assert "link" not in payload and "code" not in payload
        assert token not in row["body"] and link not in row["body"] and f'"{code}"' not in row["body"]
    stored = await mails_to(notify, email)
    assert stored  # the sink keeps what a mailbox got; notify's own delivery log does not keep the body:
    log = await fetch(notify.settings, "SELECT body FROM messages WHERE template IN ('password_reset', 'verify_email')")
    assert log and all(token not in row["body"] and link not in row["body"] for row in log)


async def test_choosing_the_new_password_again_and_again_does_not_send_sms_after_sms(platform):
    gw, notify = platform
    email, _ = await sign_up(gw, phone="+46700000713", name="Test Upprepad")
    await gw.client.post("/identity/password/forgot", json={"login": email})
    token = link_token((await mail(notify, email, "new password"))["body"], "/password/reset")
    statuses = [(await gw.client.post("/identity/password/reset", json={
        "token": token, "new_password": "Kustlinje-Morgon-Dimma-8"})).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
