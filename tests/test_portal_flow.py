"""The client portal through the gateway, with real servers: a coordinator creates an account, the
client reads the emailed credentials, signs in with password + SMS code, changes the password, accepts
the terms, and uses reports, support plans, appointments and measurements; representatives reach only
the client chosen in their session."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from contracts.booking.v1 import BookingConfirmed
from gateway.app import build as build_gateway
from gateway.settings import Settings as GatewaySettings
from kit.db import Database
from kit.testing import fetch, free_port, publish, running_service, wait_for
from kit.testing.tokens import TokenIssuer
from notify.app import build as build_notify
from notify.settings import Settings as NotifySettings
from notify.sink import start_sink
from portal.app import build as build_portal
from portal.settings import Settings as PortalSettings

KEY = TokenIssuer()
ADMIN = KEY.headers(uuid.uuid4(), "admin")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(scope="module")
async def platform(test_env):
    gateway_port, portal_port = free_port(), free_port()
    portal = test_env.settings(PortalSettings, http_port=portal_port, jwt_public_key=KEY.public_pem)
    notify = test_env.settings(NotifySettings, database="notify_portal", smtp_port=free_port(), sender_poll_interval_s=0.1)
    gateway = test_env.settings(GatewaySettings, database="gateway_portal", http_port=gateway_port,
                                signing_key_pem=KEY.private_pem, services={"portal": f"http://127.0.0.1:{portal_port}"})
    async with running_service(build_portal(portal), test_env, http=True) as portal_service, \
            running_service(build_notify(notify), test_env) as notify_service, \
            running_service(build_gateway(gateway), test_env, http=True) as gateway_service:
        sink_db = Database(notify.database_url, pool_size=2)
        sink = await start_sink(sink_db, "127.0.0.1", notify.smtp_port)
        yield gateway_service, notify_service, portal_service
        sink.close()
        await sink_db.dispose()


async def organisation_with_coordinator(gw) -> tuple[str, dict]:
    """The care organisation in the gateway's directory (where the coordinator makes accounts) and in the
    portal, and its coordinator's account, a member of it."""
    directory = await gw.client.post("/directory/organisations", headers=ADMIN, json={
        "kind": "care_organisation", "code": f"ZORG-{uuid.uuid4().hex[:6]}", "name": "Testzorg",
        "time_zone": "Europe/Amsterdam"})
    assert directory.status_code == 201, directory.text
    made = await gw.client.post("/identity/accounts", headers=ADMIN, json={
        "display_name": "Test Coördinator", "roles": ["care_coordinator"], "organisation_id": directory.json()["id"]})
    assert made.status_code == 201, made.text
    coordinator = made.json()["id"]
    organisation = (await gw.client.post("/api/portal/organisations", headers=ADMIN,
                                         json={"name": "Testzorg", "time_zone": "Europe/Amsterdam"})).json()["id"]
    response = await gw.client.post(f"/api/portal/organisations/{organisation}/coordinators", headers=ADMIN,
                                    json={"account_id": str(coordinator)})
    assert response.status_code == 204
    DIRECTORY[organisation] = directory.json()["id"]
    return organisation, KEY.headers(coordinator, "care_coordinator")


#: the portal's organisation → the directory's (until the portal keeps the directory's copy)
DIRECTORY: dict[str, str] = {}


async def new_client(gw, coordinator: dict, organisation: str, username: str) -> str:
    account = await gw.client.post("/identity/accounts", headers=coordinator, json={
        "display_name": f"Test {username}", "roles": ["client"], "email": f"{username}@example.org",
        "phone": "+31600000001", "username": username, "language": "nl", "organisation_id": DIRECTORY[organisation]})
    assert account.status_code == 201, account.text
    client_id = account.json()["id"]
    record = await gw.client.post("/api/portal/clients", headers=coordinator, json={
        "account_id": client_id, "organisation_id": organisation, "display_name": f"Test {username}",
        "date_of_birth": "1950-04-01", "address": "Teststraat 1, Amsterdam", "contact_person": "Test Dochter"})
    assert record.status_code == 201, record.text
    return client_id


def bearer(tokens: dict) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def test_coordinator_creates_an_account_and_the_client_uses_the_portal(platform):
    gw, notify, _ = platform
    organisation, coordinator = await organisation_with_coordinator(gw)
    username = f"client.{uuid.uuid4().hex[:6]}"
    client_id = await new_client(gw, coordinator, organisation, username)
    for impossible in ("1950-02-30", "2999-01-01"):
        refused = await gw.client.post("/api/portal/clients", headers=coordinator, json={
            "account_id": str(uuid.uuid4()), "organisation_id": organisation, "display_name": "Test Ander",
            "date_of_birth": impossible})
        assert refused.status_code == 422 and "date_of_birth" in refused.json()["detail"]

    async def credentials_mail():
        mails = (await notify.client.get("/dev/mail", params={"to": f"{username}@example.org"})).json()
        return mails[0] if mails else None

    mail = await wait_for(credentials_mail, timeout=20, what="the credentials email")
    assert mail["subject"] == "Je account voor het cliëntportaal"
    temporary = re.search(r"Tijdelijk wachtwoord: (\S+)", mail["body"])[1]
    assert f"Gebruikersnaam: {username}" in mail["body"]

    attempt = (await gw.client.post("/identity/password/login", json={"username": username, "password": temporary})).json()

    async def sms():
        messages = (await notify.client.get("/dev/sms", params={"to": "+31600000001"})).json()
        return messages[0] if messages else None

    code = (await wait_for(sms, what="the login code"))["body"][:6]
    limited = (await gw.client.post("/identity/password/code", json={**attempt, "code": code})).json()
    assert (await gw.client.get(f"/api/portal/clients/{client_id}/profile", headers=bearer(limited))).status_code == 403
    changed = (await gw.client.post("/identity/password/change", headers=bearer(limited),
                                    json={"current_password": temporary, "new_password": "Mijn-Eigen-Wachtwoord-9"})).json()
    tokens = (await gw.client.post("/identity/terms/accept", headers=bearer(changed),
                                   json={"version": gw.settings.terms_version})).json()
    me = bearer(tokens)

    profile = (await gw.client.get(f"/api/portal/clients/{client_id}/profile", headers=me)).json()
    assert profile["address"] == "Teststraat 1, Amsterdam" and profile["contact_person"] == "Test Dochter"

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


async def test_a_representative_reaches_only_the_client_of_the_session(platform, test_env):
    gw, _, portal = platform
    organisation, coordinator = await organisation_with_coordinator(gw)
    first, second, third = [await new_client(gw, coordinator, organisation, f"rep.{uuid.uuid4().hex[:6]}") for _ in range(3)]
    representative = uuid.uuid4()
    for client in (first, second):
        acting = KEY.headers(representative, "representative", acting_for=client)
        assert (await gw.client.get(f"/api/portal/clients/{client}/profile", headers=acting)).status_code == 200
    as_first = KEY.headers(representative, "representative", acting_for=first)
    denied = await gw.client.get(f"/api/portal/clients/{second}/reports", headers=as_first)
    assert denied.status_code == 403  # represented, but not the client chosen for this session
    never_chosen = await gw.client.get(f"/api/portal/clients/{third}/profile", headers=as_first)
    assert never_chosen.status_code == 403
    stranger = await gw.client.get(f"/api/portal/clients/{first}/profile", headers=KEY.headers(uuid.uuid4(), "client"))
    assert stranger.status_code == 403
    other_org = await gw.client.get(f"/api/portal/clients/{first}/profile", headers=KEY.headers(uuid.uuid4(), "care_coordinator"))
    assert other_org.status_code == 403
    plan = (await gw.client.post(f"/api/portal/clients/{second}/plans", params={"title": "Plan"}, headers=coordinator, content=PDF)).json()
    wrong_client = await gw.client.post(f"/api/portal/clients/{first}/plans/{plan['id']}/approve", headers=as_first)
    assert wrong_client.status_code == 404  # a plan of another client
    audit = await fetch(portal.settings, "SELECT action, reason FROM access_audit WHERE account_id = $1 AND NOT allowed", representative)
    assert ("read reports", "a representative reaches only the client chosen for this session") in [tuple(a) for a in audit]


async def test_a_confirmed_booking_becomes_an_appointment(platform, test_env):
    gw, _, _ = platform
    organisation, coordinator = await organisation_with_coordinator(gw)
    client_id = await new_client(gw, coordinator, organisation, f"booked.{uuid.uuid4().hex[:6]}")
    tomorrow = datetime.now(AMSTERDAM).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    await publish(test_env, BookingConfirmed(booking_id=uuid.uuid4(), therapist_id=uuid.uuid4(), client_id=uuid.UUID(client_id),
                                             starts_at=tomorrow, ends_at=tomorrow + timedelta(minutes=45)))
    me = KEY.headers(client_id, "client")

    async def listed():
        days = (await gw.client.get(f"/api/portal/clients/{client_id}/appointments", headers=me)).json()
        return days["tomorrow"]

    (appointment,) = await wait_for(listed, what="the booking among tomorrow's appointments")
    assert appointment["source"] == "booking"
