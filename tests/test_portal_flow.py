"""The client portal through the gateway, with real servers, people signing in as they do (username,
password, the SMS code from /dev/sms): a coordinator makes an account, the client reads the emailed
credentials, signs in, changes the password, accepts the terms, and uses reports, support plans, appointments
and measurements. Access is decided from the portal's copy of the gateway's directory: a coordinator works only
in their own organisation (another organisation's client and a missing one get the same 404, byte for byte),
a representative only for the client of the session while they represent in that client's organisation, and
reads are audited in a chain an admin checks.

The directory is the gateway's: kit.demo's cast from the gateway's own seed, and every change through its API
as the person who would make it (``portal.testing.GatewayDirectory``: the coordinator grants, revokes and links
in their care organisation, an admin deactivates one); the portal learns of it from the gateway's events."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from contracts.booking.v1 import BookingConfirmed
from gateway.app import build as build_gateway
from gateway.seed import seed_demo
from gateway.settings import Settings as GatewaySettings
from kit.db import Database
from kit.demo import BY_KEY, BY_USERNAME
from kit.testing import RunningService, free_port, publish, running_service, wait_for
from kit.testing.tokens import TokenIssuer
from notify.app import build as build_notify
from notify.settings import Settings as NotifySettings
from notify.sink import start_sink
from portal import demo
from portal.app import build as build_portal
from portal.settings import Settings as PortalSettings
from portal.testing import GatewayDirectory, act_for, bearer, sign_in, sms_code

KEY = TokenIssuer()  # the gateway's signing key pair (no token is minted here)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CARE_1, CARE_2 = BY_KEY["care.1"], BY_KEY["care.2"]
CLIENT_1, CLIENT_3 = BY_USERNAME["demo.client"], BY_USERNAME["demo.client3"]


@dataclass
class Platform:
    gw: RunningService
    notify: RunningService
    portal: RunningService
    directory: GatewayDirectory

    async def sign_in(self, username: str) -> dict:
        return bearer(await sign_in(self.gw.client, self.notify.client, username))


@pytest.fixture(scope="module")
async def platform(test_env):
    gateway_port, portal_port = free_port(), free_port()
    portal = test_env.settings(PortalSettings, database="portal_flow", http_port=portal_port, jwt_public_key=KEY.public_pem)
    notify = test_env.settings(NotifySettings, database="notify_portal", smtp_port=free_port(), sender_poll_interval_s=0.1)
    gateway = test_env.settings(GatewaySettings, database="gateway_portal", http_port=gateway_port,
                                signing_key_pem=KEY.private_pem, services={"portal": f"http://127.0.0.1:{portal_port}"},
                                codes_per_ip_per_10_min=1000, codes_per_account_per_10_min=100)
    async with running_service(build_portal(portal), test_env, http=True) as portal_service, \
            running_service(build_notify(notify), test_env) as notify_service, \
            running_service(build_gateway(gateway), test_env, http=True) as gateway_service:
        sink_db = Database(notify.database_url, pool_size=2)
        sink = await start_sink(sink_db, "127.0.0.1", notify.smtp_port)
        async with gateway_service.app.state.db.transaction() as session:  # kit.demo's cast, as `make run` seeds it
            await seed_demo(session, gateway)
        portal_db = Database(portal.database_url, pool_size=1)
        async with portal_db.transaction() as session:
            await demo.load(session)
        await portal_db.dispose()
        yield Platform(gateway_service, notify_service, portal_service,
                       GatewayDirectory(gateway_service.client, notify_service.client))
        sink.close()
        await sink_db.dispose()


async def until_status(call, status: int, what: str):
    """Poll a request until it answers ``status`` (the directory copy fills from events within a second)."""
    async def check():
        response = await call()
        return response if response.status_code == status else None

    return await wait_for(check, timeout=15, interval=0.1, what=what)


async def new_client(platform: Platform, coordinator: dict, username: str, phone: str) -> str:
    """The coordinator makes the account in their organisation in the gateway (which grants the client role
    there), and records the client in the portal once the portal's copy knows."""
    gw = platform.gw
    account = await gw.client.post("/identity/accounts", headers=coordinator, json={
        "display_name": f"Test {username}", "roles": ["client"], "email": f"{username}@example.org",
        "phone": phone, "username": username, "language": "nl", "organisation_id": str(CARE_1.id)})
    assert account.status_code == 201, account.text
    client_id = account.json()["id"]  # a client of the coordinator's organisation now (MembershipGranted)
    await until_status(lambda: gw.client.post("/api/portal/clients", headers=coordinator, json={
        "account_id": client_id, "display_name": f"Test {username}", "date_of_birth": "1950-04-01",
        "address": "Teststraat 1, Amsterdam", "contact_person": "Test Dochter"}), 201, "the client recorded")
    return client_id


def comparable(response) -> tuple[int, dict]:
    """A problem's status and body with ids and the correlation id taken out."""
    body = dict(response.json())
    body.pop("correlation_id", None)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", str(body))
    return response.status_code, {"text": text, "content-type": response.headers["content-type"]}


async def test_coordinator_creates_an_account_and_the_client_uses_the_portal(platform):
    gw, notify = platform.gw, platform.notify
    started_at = datetime.now(UTC)
    coordinator = await platform.sign_in("demo.coordinator")
    username, phone = f"client.{uuid.uuid4().hex[:6]}", "+46700000301"
    client_id = await new_client(platform, coordinator, username, phone)
    for impossible in ("1950-02-30", "2999-01-01"):
        refused = await gw.client.post("/api/portal/clients", headers=coordinator, json={
            "account_id": str(uuid.uuid4()), "display_name": "Test Ander", "date_of_birth": impossible})
        assert refused.status_code == 422 and "date_of_birth" in refused.json()["detail"]

    async def credentials_mail():
        mails = (await notify.client.get("/dev/mail", params={"to": f"{username}@example.org"})).json()
        return mails[0] if mails else None

    mail = await wait_for(credentials_mail, timeout=20, what="the credentials email")
    assert mail["subject"] == "Je account voor het cliëntportaal"
    temporary = re.search(r"Tijdelijk wachtwoord: (\S+)", mail["body"])[1]
    assert f"Gebruikersnaam: {username}" in mail["body"]

    attempt = (await gw.client.post("/identity/password/login", json={"username": username, "password": temporary})).json()
    code = await sms_code(notify.client, phone, 0)
    limited = (await gw.client.post("/identity/password/code", json={**attempt, "code": code})).json()
    assert (await gw.client.get(f"/api/portal/clients/{client_id}/profile", headers=bearer(limited))).status_code == 403
    changed = (await gw.client.post("/identity/password/change", headers=bearer(limited),
                                    json={"current_password": temporary, "new_password": "Mijn-Eigen-Wachtwoord-9"})).json()
    tokens = (await gw.client.post("/identity/terms/accept", headers=bearer(changed),
                                   json={"version": gw.settings.terms_version})).json()
    me = bearer(tokens)

    profile = (await gw.client.get(f"/api/portal/clients/{client_id}/profile", headers=me)).json()
    assert profile["address"] == "Teststraat 1, Amsterdam" and profile["contact_person"] == "Test Dochter"
    assert [c["id"] for c in (await gw.client.get("/api/portal/clients", headers=me)).json()] == [client_id]

    # PT-2 reports, newest first, with author and role
    await gw.client.post(f"/api/portal/clients/{client_id}/reports", headers=coordinator, json={"text": "Goede week gehad."})
    mine = await gw.client.post(f"/api/portal/clients/{client_id}/reports", headers=me, json={"text": "Ik voel me beter."})
    assert mine.status_code == 201 and mine.json()["author_role"] == "client"
    listed = (await gw.client.get(f"/api/portal/clients/{client_id}/reports", headers=me)).json()
    assert [r["text"] for r in listed] == ["Ik voel me beter.", "Goede week gehad."]
    too_long = await gw.client.post(f"/api/portal/clients/{client_id}/reports", headers=me, json={"text": "x" * 4001})
    assert too_long.status_code == 422 and "at most 4000" in too_long.json()["detail"]

    # PT-3 support plans: publish, download, approve; a newer version needs a new approval
    v1 = (await gw.client.post(f"/api/portal/clients/{client_id}/plans", params={"title": "Ondersteuningsplan 2026"},
                               headers=coordinator | {"content-type": "application/pdf"}, content=PDF)).json()
    download = await gw.client.get(f"/api/portal/clients/{client_id}/plans/{v1['id']}.pdf", headers=me)
    assert download.content == PDF and download.headers["content-type"] == "application/pdf"
    approved = (await gw.client.post(f"/api/portal/clients/{client_id}/plans/{v1['id']}/approve", headers=me)).json()
    assert approved["approved_by"] == client_id and approved["approved_at"]
    v2 = (await gw.client.post(f"/api/portal/clients/{client_id}/plans", params={"title": "Ondersteuningsplan 2026 v2"},
                               headers=coordinator, content=PDF)).json()
    assert v2["version"] == 2 and v2["approved_at"] is None
    not_pdf = await gw.client.post(f"/api/portal/clients/{client_id}/plans", params={"title": "x"}, headers=coordinator,
                                   content=b"hello")
    assert not_pdf.status_code == 415
    assert (await gw.client.post(f"/api/portal/clients/{client_id}/plans", params={"title": "x"}, headers=me,
                                 content=PDF)).status_code == 403  # only a coordinator publishes

    # PT-5 appointments today and tomorrow, in Amsterdam time, across midnight
    day = datetime.now(AMSTERDAM).date() + timedelta(days=3)
    late = datetime(day.year, day.month, day.day, 23, 30, tzinfo=AMSTERDAM)
    for title, start in (("Laat", late), ("Na middernacht", late + timedelta(hours=1))):
        response = await gw.client.post(f"/api/portal/clients/{client_id}/appointments", headers=me, json={
            "title": title, "starts_at": start.isoformat(), "ends_at": (start + timedelta(minutes=30)).isoformat()})
        assert response.status_code == 201
    days = (await gw.client.get(f"/api/portal/clients/{client_id}/appointments", headers=me,
                                params={"at": (late - timedelta(minutes=30)).isoformat()})).json()
    assert [a["title"] for a in days["today"]] == ["Laat"] and [a["title"] for a in days["tomorrow"]] == ["Na middernacht"]

    # PT-6 measurements with plausible ranges
    assert (await gw.client.post(f"/api/portal/clients/{client_id}/measurements", headers=me,
                                 json={"type": "weight", "value": 72.5})).status_code == 201
    implausible = await gw.client.post(f"/api/portal/clients/{client_id}/measurements", headers=me, json={"type": "weight", "value": 500})
    assert implausible.status_code == 422 and "between 1 and 400 kg" in implausible.json()["detail"]
    series = (await gw.client.get(f"/api/portal/clients/{client_id}/measurements", headers=me, params={"type": "weight"})).json()
    assert [m["value"] for m in series] == [72.5]

    # the audit: who read what, when, in which organisation; the chain holds
    admin = await platform.sign_in("demo.admin")
    rows = (await gw.client.get("/api/portal/admin/audit", headers=admin, params={"subject_id": client_id})).json()
    mine_read = [(r["action"], r["target"]) for r in rows if r["actor_id"] == client_id and r["allowed"]]
    assert ("read reports", mine.json()["id"]) in mine_read and ("read reports", listed[1]["id"]) in mine_read
    assert ("download plan", v1["id"]) in mine_read
    assert ("read measurements", "weight: 1 measurements") in mine_read
    assert ("read profile", client_id) in mine_read
    assert all(r["organisation"] == str(CARE_1.id) for r in rows if r["allowed"])
    assert all(started_at <= datetime.fromisoformat(r["at"]) <= datetime.now(UTC) for r in rows)
    check = (await gw.client.get("/api/portal/admin/audit/verify", headers=admin)).json()
    assert check["valid"] is True and check["rows"] >= len(rows)
    assert (await gw.client.get("/api/portal/admin/audit", headers=coordinator)).status_code == 403


async def test_a_coordinator_works_only_in_their_own_organisation(platform):
    gw = platform.gw
    coordinator = await platform.sign_in("demo.coordinator")
    own, theirs, nobody = CLIENT_1.id, CLIENT_3.id, uuid.uuid4()
    await until_status(lambda: gw.client.get(f"/api/portal/clients/{own}/profile", headers=coordinator), 200,
                       "the coordinator's own client")
    listed = {c["id"] for c in (await gw.client.get("/api/portal/clients", headers=coordinator)).json()}
    assert {str(BY_USERNAME["demo.client"].id), str(BY_USERNAME["demo.client2"].id)} <= listed
    assert not listed & {str(BY_USERNAME["demo.client3"].id), str(BY_USERNAME["demo.client4"].id)}

    reads = ["profile", "reports", "plans", "appointments", "measurements"]
    for part in reads:
        other = await gw.client.get(f"/api/portal/clients/{theirs}/{part}", headers=coordinator)
        missing = await gw.client.get(f"/api/portal/clients/{nobody}/{part}", headers=coordinator)
        assert other.status_code == missing.status_code == 404, part
        assert comparable(other) == comparable(missing), part  # the existence oracle is gone
        assert other.json()["detail"] == f"client {theirs} does not exist"
    plan = demo_id_of("portal.plan.demo.client3.1")
    other = await gw.client.get(f"/api/portal/clients/{theirs}/plans/{plan}.pdf", headers=coordinator)
    missing = await gw.client.get(f"/api/portal/clients/{nobody}/plans/{plan}.pdf", headers=coordinator)
    assert comparable(other) == comparable(missing) and other.status_code == 404
    writes = [("reports", {"json": {"text": "Niet van ons."}}), ("measurements", {"json": {"type": "weight", "value": 70}}),
              ("plans", {"params": {"title": "Plan"}, "content": PDF}),
              ("appointments", {"json": {"title": "X", "starts_at": "2026-12-24T10:00:00+01:00",
                                         "ends_at": "2026-12-24T11:00:00+01:00"}})]
    for part, body in writes:
        other = await gw.client.post(f"/api/portal/clients/{theirs}/{part}", headers=coordinator, **body)
        missing = await gw.client.post(f"/api/portal/clients/{nobody}/{part}", headers=coordinator, **body)
        assert other.status_code == missing.status_code == 404, part
        assert comparable(other) == comparable(missing), part
    approve = await gw.client.post(f"/api/portal/clients/{theirs}/plans/{plan}/approve", headers=coordinator)
    assert approve.status_code == 404
    # nothing was written to the other organisation's client
    coordinator2 = await platform.sign_in("demo.coordinator2")
    reports = (await gw.client.get(f"/api/portal/clients/{theirs}/reports", headers=coordinator2)).json()
    assert "Niet van ons." not in [r["text"] for r in reports] and len(reports) == len(demo.REPORTS)

    # naming the other organisation: a 403 that says which
    crossing = await gw.client.post("/api/portal/clients", headers=coordinator, json={
        "account_id": str(BY_USERNAME["demo.client4"].id), "organisation_id": str(CARE_2.id), "display_name": "X"})
    assert crossing.status_code == 403 and "Rivierzorg" in crossing.json()["detail"]
    assert crossing.json()["organisation_id"] == str(CARE_2.id)
    listing = await gw.client.get("/api/portal/clients", headers=coordinator, params={"organisation_id": str(CARE_2.id)})
    assert listing.status_code == 403 and "Rivierzorg" in listing.json()["detail"]
    # a client of another organisation cannot be recorded in one's own either
    foreign = await gw.client.post("/api/portal/clients", headers=coordinator, json={
        "account_id": str(BY_USERNAME["demo.client4"].id), "organisation_id": str(CARE_1.id), "display_name": "X"})
    assert foreign.status_code == 403 and "Zorgveld" in foreign.json()["detail"]

    admin = await platform.sign_in("demo.admin")
    me = BY_USERNAME["demo.coordinator"].id
    denied = (await gw.client.get("/api/portal/admin/audit", headers=admin,
                                  params={"actor_id": str(me), "subject_id": str(theirs)})).json()
    assert denied and not any(r["allowed"] for r in denied)
    assert {"read profile", "write report", "download plan"} <= {r["action"] for r in denied}
    assert {r["reason"] for r in denied} == {"not the client, their representative or a coordinator of their organisation"}


def demo_id_of(name: str) -> str:
    from kit.demo import demo_id

    return str(demo_id(name))


async def test_a_representative_reaches_only_the_client_of_the_session_in_their_organisation(platform):
    gw, directory = platform.gw, platform.directory
    representative = await sign_in(gw.client, platform.notify.client, "demo.representative")
    first, second = BY_USERNAME["demo.client"].id, BY_USERNAME["demo.client2"].id
    as_first = bearer((await act_for(gw.client, representative, first)).json())
    assert (await until_status(lambda: gw.client.get(f"/api/portal/clients/{first}/profile", headers=as_first), 200,
                               "the represented client's profile")).json()["id"] == str(first)
    assert [c["id"] for c in (await gw.client.get("/api/portal/clients", headers=as_first)).json()] == [str(first)]
    as_second = bearer((await act_for(gw.client, representative, second)).json())
    assert (await gw.client.get(f"/api/portal/clients/{second}/reports", headers=as_second)).status_code == 200
    denied = await gw.client.get(f"/api/portal/clients/{second}/reports", headers=as_first)
    assert denied.status_code == 404  # represented, but not the client chosen for this session
    plan = demo_id_of("portal.plan.demo.client2.1")
    wrong_client = await gw.client.post(f"/api/portal/clients/{first}/plans/{plan}/approve", headers=as_first)
    assert wrong_client.status_code == 404 and "support plan" in wrong_client.json()["detail"]  # another client's plan

    # the act claim alone is not enough: without "representative" in the client's organisation, refused
    rep_id = BY_USERNAME["demo.representative"].id
    await directory.revoke(rep_id, CARE_1.id, "representative")
    try:
        await until_status(lambda: gw.client.get(f"/api/portal/clients/{first}/profile", headers=as_first), 404,
                           "the revoked representative refused")
    finally:
        await directory.grant(rep_id, CARE_1.id, "representative")
    await until_status(lambda: gw.client.get(f"/api/portal/clients/{first}/profile", headers=as_first), 200,
                       "the representative again")
    admin = await platform.sign_in("demo.admin")
    rows = (await gw.client.get("/api/portal/admin/audit", headers=admin, params={"actor_id": str(rep_id)})).json()
    reasons = {(r["action"], r["reason"]) for r in rows if not r["allowed"]}
    assert ("read reports", "a representative reaches only the client chosen for this session") in reasons
    assert ("read profile", "not a representative in the client's organisation") in reasons


def refused_outside(answer, organisation) -> None:
    """The gateway's 403 for a link across organisations: it names the organisation."""
    assert answer.status_code == 403, answer.text
    assert answer.json()["organisation_id"] == str(organisation.id) and str(organisation.id) in answer.json()["detail"]


async def test_a_representative_of_another_organisation_is_refused(platform):
    """Representative 2 (Rivierzorg) and a client of Zorgveld: the gateway refuses the link in either
    organisation and acting for the client. A session that acts for the client from when representative 2 also
    represented in Zorgveld outlives that membership: the portal, which cannot confirm it from its directory
    any more, serves it nothing of the client."""
    gw, directory = platform.gw, platform.directory
    rep2, client = BY_USERNAME["demo.representative2"], BY_USERNAME["demo.client"]
    refused_outside(await directory.link(CARE_1.id, rep2.id, client.id), CARE_1)  # not a representative there
    refused_outside(await directory.link(CARE_2.id, rep2.id, client.id), CARE_2)  # not a client there
    tokens = await sign_in(gw.client, platform.notify.client, "demo.representative2")
    assert (await act_for(gw.client, tokens, client.id)).status_code == 403

    # a representative in Zorgveld too for a while: linked, a session acting for the client, then not any more
    await directory.grant(rep2.id, CARE_1.id, "representative")
    assert (await directory.link(CARE_1.id, rep2.id, client.id)).status_code == 201
    acting = await act_for(gw.client, tokens, client.id)
    assert acting.status_code == 200, acting.text
    as_client = bearer(acting.json())
    await until_status(lambda: gw.client.get(f"/api/portal/clients/{client.id}/profile", headers=as_client), 200,
                       "representative 2 serving in Zorgveld")
    await directory.unlink(CARE_1.id, rep2.id, client.id)
    await directory.revoke(rep2.id, CARE_1.id, "representative")
    assert (await act_for(gw.client, tokens, client.id)).status_code == 403
    await until_status(lambda: gw.client.get(f"/api/portal/clients/{client.id}/profile", headers=as_client), 404,
                       "the portal refusing the session it cannot confirm")
    nobody = uuid.uuid4()
    for part in ("profile", "reports", "plans", "measurements", "appointments"):
        refused = await gw.client.get(f"/api/portal/clients/{client.id}/{part}", headers=as_client)
        missing = await gw.client.get(f"/api/portal/clients/{nobody}/{part}", headers=as_client)
        assert refused.status_code == 404 and comparable(refused) == comparable(missing), part
    write = await gw.client.post(f"/api/portal/clients/{client.id}/reports", headers=as_client, json={"text": "Hallo"})
    assert write.status_code == 404
    assert (await gw.client.get("/api/portal/clients", headers=as_client)).json() == []
    own_client = BY_USERNAME["demo.client3"].id  # and their own clients only through a session for them
    as_own = bearer((await act_for(gw.client, tokens, own_client)).json())
    await until_status(lambda: gw.client.get(f"/api/portal/clients/{own_client}/profile", headers=as_own), 200,
                       "representative 2's own client")


async def test_an_organisation_made_inactive_in_the_directory_closes_its_records(platform):
    gw = platform.gw
    coordinator2 = await platform.sign_in("demo.coordinator2")
    client4 = BY_USERNAME["demo.client4"].id
    profile = f"/api/portal/clients/{client4}/profile"
    await until_status(lambda: gw.client.get(profile, headers=coordinator2), 200, "Rivierzorg's client")

    await platform.directory.set_active(CARE_2.id, False)  # an admin deactivates Rivierzorg in the gateway
    try:
        await until_status(lambda: gw.client.get(profile, headers=coordinator2), 404, "the inactive organisation closed")
        assert (await gw.client.get("/api/portal/clients", headers=coordinator2)).json() == []
    finally:
        await platform.directory.set_active(CARE_2.id, True)
    await until_status(lambda: gw.client.get(profile, headers=coordinator2), 200, "the organisation active again")


async def test_a_confirmed_booking_becomes_an_appointment(platform, test_env):
    gw = platform.gw
    client_id = BY_USERNAME["demo.client2"].id
    me = await platform.sign_in("demo.client2")
    tomorrow = datetime.now(AMSTERDAM).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    await publish(test_env, BookingConfirmed(booking_id=uuid.uuid4(), therapist_id=uuid.uuid4(), client_id=client_id,
                                             starts_at=tomorrow, ends_at=tomorrow + timedelta(minutes=45)))

    async def listed():
        response = await gw.client.get(f"/api/portal/clients/{client_id}/appointments", headers=me)
        return [a for a in response.json()["tomorrow"] if a["source"] == "booking"] if response.status_code == 200 else None

    (appointment,) = await wait_for(listed, what="the booking among tomorrow's appointments")
    assert appointment["title"] == "Session"
