"""The portal client (demo.client of Zorgveld Begeleiding): signs in with username, password and the SMS
code (GW-3); reads the reports about them and writes one (PT-2), downloads and approves the support plan the
coordinator made available (PT-3), sees their profile (PT-4), today's and tomorrow's appointments and adds
one (PT-5), enters a measurement and sees the earlier ones (PT-6); another client's portal is refused
(PT-7)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flows import PT, new_phone, unique
from people import ok

from kit import demo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
@pytest.fixture(scope="module")
def client(platform):
    return platform.sign_in("demo.client")


def test_signs_in_with_password_and_sms_code(client):
    me = client.me
    assert me["roles"] == ["client"] and me["display_name"] == demo.BY_USERNAME["demo.client"].display_name


def test_reads_the_demo_reports_and_plan_and_writes_a_report(client):
    me = client.id
    profile = ok(client.get(f"{PT}/clients/{me}/profile"))
    assert profile["display_name"] == demo.BY_USERNAME["demo.client"].display_name
    assert ok(client.get(f"{PT}/clients/{me}/reports")), "the demo reports about the client"
    plans = ok(client.get(f"{PT}/clients/{me}/plans"))
    assert plans, "the demo support plan"
    assert ok(client.get(f"{PT}/clients/{me}/plans/{plans[0]['id']}.pdf"))[:4] == b"%PDF"
    if plans[0]["approved_at"] is None:
        assert ok(client.post(f"{PT}/clients/{me}/plans/{plans[0]['id']}/approve"))["approved_by"] == me
    written = ok(client.post(f"{PT}/clients/{me}/reports", json={"text": "Ik heb goed geslapen."}), 201)
    assert written["author_role"] == "client"
    assert ok(client.get(f"{PT}/clients/{me}/reports"))[0]["text"] == "Ik heb goed geslapen."


def test_appointments_and_measurements(client):
    me = client.id
    start = datetime.now(AMSTERDAM).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    ok(client.post(f"{PT}/clients/{me}/appointments", json={
        "title": "Fysiotherapie", "starts_at": start.isoformat(), "ends_at": (start + timedelta(minutes=30)).isoformat()}), 201)
    days = ok(client.get(f"{PT}/clients/{me}/appointments"))
    assert "Fysiotherapie" in [a["title"] for a in days["tomorrow"]]
    types = ok(client.get(f"{PT}/measurement-types"))
    assert "weight" in str(types)
    ok(client.post(f"{PT}/clients/{me}/measurements", json={"type": "weight", "value": 71.5}), 201)
    values = [m["value"] for m in ok(client.get(f"{PT}/clients/{me}/measurements", params={"type": "weight"}))]
    assert 71.5 in values and len(values) >= 2, "the new value beside the demo's earlier ones"


def test_another_clients_portal_is_refused_alike_whether_it_exists_or_not(client):
    other = str(demo.demo_id("demo.client2"))
    nobody = str(demo.demo_id("nobody.at.all"))
    answers = [client.get(f"{PT}/clients/{cid}/reports") for cid in (other, nobody)]
    assert {a.status_code for a in answers} in ({403}, {404})
    assert answers[0].json()["detail"] == answers[1].json()["detail"].replace(nobody, other)


def test_a_client_who_forgot_the_password_chooses_a_new_one_from_the_mail(platform):
    coordinator = platform.sign_in("demo.coordinator")
    username = unique("vergeten")
    email, phone = f"{username}@example.org", new_phone()
    ok(coordinator.post("/identity/accounts", json={"display_name": "Test Vergeten", "roles": ["client"], "email": email,
                                                     "phone": phone, "username": username, "language": "nl",
                                                     "organisation_id": str(demo.BY_KEY["care.1"].id)}), 201)
    credentials = platform.mail(email, "account")
    temporary = credentials["body"].split("Tijdelijk wachtwoord: ", 1)[1].split()[0]
    first = platform.person("client, first time").password_login(username, temporary, phone)
    first.sign_out()

    forgetful = platform.person("client who forgot")
    forgetful.forgot_password(username, email, phone, "Nieuw-Wachtwoord-2026!")
    signed_in = platform.person("client again").password_login(username, "Nieuw-Wachtwoord-2026!", phone)
    assert signed_in.me["display_name"] == "Test Vergeten"
    old = platform.person("with the old one").http.post("/identity/password/login",
                                                         json={"username": username, "password": first.password})
    assert old.status_code == 401
