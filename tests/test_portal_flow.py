"""The client portal on the shared platform, each person signed in through the gateway as they do (#19:
username, password and the SMS code from notify's sink): a coordinator makes an account, the client reads the
emailed credentials, signs in, must change the password and accept the terms before anything else, and uses
reports, support plans, appointments and measurements. Access is decided from the portal's copy of the
gateway's directory: a coordinator works only in their own organisation (another organisation's client and a
missing one get the same 404), a representative only for the client of the session while they represent in
that client's organisation, and reads are audited in a chain an admin checks. Every change of the directory is
made through the gateway's /directory routes by the person who would make it (the coordinator grants, revokes
and links in their care organisation; the demo admin deactivates one) and undone at the end of the test, as
the platform is shared; a confirmed booking is a real one, booked and paid by the client. (The coordinator's
journey already walks a new client's first sign-in, a report, a plan downloaded and approved.)"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flows import PT, book_and_pay, coordinator_makes_client, fresh_therapist, new_slot
from people import Person, ok, wait_for

from kit.demo import BY_KEY, BY_USERNAME, demo_id

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
CARE_1, CARE_2 = BY_KEY["care.1"], BY_KEY["care.2"]
CLIENT_1, CLIENT_3 = BY_USERNAME["demo.client"], BY_USERNAME["demo.client3"]
D = "/directory/organisations"


def until_status(call, status: int, what: str):
    """Poll a request until it answers ``status`` (the directory copy fills from events within a second)."""
    def answered():
        response = call()
        return response if response.status_code == status else None

    return wait_for(answered, what=what, timeout=20, interval=0.1)


def comparable(response) -> tuple[int, dict]:
    """A problem's status and body with ids and the correlation id taken out."""
    body = dict(response.json())
    body.pop("correlation_id", None)
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", str(body))
    return response.status_code, {"text": text, "content-type": response.headers["content-type"]}


@pytest.fixture(scope="module")
def coordinator(platform):
    return platform.sign_in("demo.coordinator")


@pytest.fixture(scope="module")
def admin(platform):
    return platform.sign_in("demo.admin")


def test_coordinator_creates_an_account_and_the_client_uses_the_portal(platform, coordinator, admin):
    started_at = datetime.now(UTC)
    for impossible in ("1950-02-30", "2999-01-01"):
        refused = coordinator.post(f"{PT}/clients", json={"account_id": str(uuid.uuid4()), "display_name": "Test Ander",
                                                           "date_of_birth": impossible})
        assert refused.status_code == 422 and "date_of_birth" in refused.json()["detail"]
    made = coordinator_makes_client(platform, coordinator, str(CARE_1.id))
    client_id = made["id"]
    assert platform.mail(made["email"], "account")["subject"] == "Je account voor het cliëntportaal"

    # signed in with the temporary password and the SMS code: nothing but the password change and the terms
    me = platform.person("new portal client")
    before = platform.last_received(made["phone"], "sms")
    attempt = ok(me.http.post("/identity/password/login", json={"username": made["username"], "password": made["temporary"]}))
    me.tokens = ok(me.http.post("/identity/password/code", json={"attempt_id": attempt["attempt_id"],
                                                                  "code": platform.code(made["phone"], before)}))
    assert me.get(f"{PT}/clients/{client_id}/profile").status_code == 403
    me.password = made["temporary"]
    me.finish_signing_in(new_password="Mijn-Eigen-Wachtwoord-9")

    profile = ok(me.get(f"{PT}/clients/{client_id}/profile"))
    assert profile["address"] == "Teststraat 1, Amsterdam" and profile["contact_person"] == "Test Dochter"
    assert [c["id"] for c in ok(me.get(f"{PT}/clients"))] == [client_id]

    # PT-2 reports, newest first, with author and role
    ok(coordinator.post(f"{PT}/clients/{client_id}/reports", json={"text": "Goede week gehad."}), 201)
    mine = ok(me.post(f"{PT}/clients/{client_id}/reports", json={"text": "Ik voel me beter."}), 201)
    assert mine["author_role"] == "client"
    listed = ok(me.get(f"{PT}/clients/{client_id}/reports"))
    assert [r["text"] for r in listed] == ["Ik voel me beter.", "Goede week gehad."]
    too_long = me.post(f"{PT}/clients/{client_id}/reports", json={"text": "x" * 4001})
    assert too_long.status_code == 422 and "at most 4000" in too_long.json()["detail"]

    # PT-3 support plans: publish, download, approve; a newer version needs a new approval
    plans = f"{PT}/clients/{client_id}/plans"
    v1 = ok(coordinator.post(plans, params={"title": "Ondersteuningsplan 2026"}, headers={"content-type": "application/pdf"},
                             content=PDF), 201)
    download = me.get(f"{plans}/{v1['id']}.pdf")
    assert download.content == PDF and download.headers["content-type"] == "application/pdf"
    approved = ok(me.post(f"{plans}/{v1['id']}/approve"))
    assert approved["approved_by"] == client_id and approved["approved_at"]
    v2 = ok(coordinator.post(plans, params={"title": "Ondersteuningsplan 2026 v2"}, content=PDF), 201)
    assert v2["version"] == 2 and v2["approved_at"] is None
    assert coordinator.post(plans, params={"title": "x"}, content=b"hello").status_code == 415
    assert me.post(plans, params={"title": "x"}, content=PDF).status_code == 403  # only a coordinator publishes

    # PT-5 appointments today and tomorrow, in Amsterdam time, across midnight
    day = datetime.now(AMSTERDAM).date() + timedelta(days=3)
    late = datetime(day.year, day.month, day.day, 23, 30, tzinfo=AMSTERDAM)
    for title, start in (("Laat", late), ("Na middernacht", late + timedelta(hours=1))):
        ok(me.post(f"{PT}/clients/{client_id}/appointments", json={
            "title": title, "starts_at": start.isoformat(), "ends_at": (start + timedelta(minutes=30)).isoformat()}), 201)
    days = ok(me.get(f"{PT}/clients/{client_id}/appointments", params={"at": (late - timedelta(minutes=30)).isoformat()}))
    assert [a["title"] for a in days["today"]] == ["Laat"] and [a["title"] for a in days["tomorrow"]] == ["Na middernacht"]

    # PT-6 measurements with plausible ranges
    ok(me.post(f"{PT}/clients/{client_id}/measurements", json={"type": "weight", "value": 72.5}), 201)
    implausible = me.post(f"{PT}/clients/{client_id}/measurements", json={"type": "weight", "value": 500})
    assert implausible.status_code == 422 and "between 1 and 400 kg" in implausible.json()["detail"]
    assert [m["value"] for m in ok(me.get(f"{PT}/clients/{client_id}/measurements", params={"type": "weight"}))] == [72.5]

    # the audit: who read what, when, in which organisation; the chain holds
    rows = ok(admin.get(f"{PT}/admin/audit", params={"subject_id": client_id}))
    mine_read = [(r["action"], r["target"]) for r in rows if r["actor_id"] == client_id and r["allowed"]]
    assert ("read reports", mine["id"]) in mine_read and ("read reports", listed[1]["id"]) in mine_read
    assert ("download plan", v1["id"]) in mine_read
    assert ("read measurements", "weight: 1 measurements") in mine_read
    assert ("read profile", client_id) in mine_read
    assert all(r["organisation"] == str(CARE_1.id) for r in rows if r["allowed"])
    assert all(started_at <= datetime.fromisoformat(r["at"]) <= datetime.now(UTC) for r in rows)
    check = ok(admin.get(f"{PT}/admin/audit/verify"))
    assert check["valid"] is True and check["rows"] >= len(rows)
    assert coordinator.get(f"{PT}/admin/audit").status_code == 403


def test_a_coordinator_works_only_in_their_own_organisation(platform, coordinator, admin):
    own, theirs, nobody = CLIENT_1.id, CLIENT_3.id, uuid.uuid4()
    until_status(lambda: coordinator.get(f"{PT}/clients/{own}/profile"), 200, "the coordinator's own client")
    listed = {c["id"] for c in ok(coordinator.get(f"{PT}/clients"))}
    assert {str(BY_USERNAME["demo.client"].id), str(BY_USERNAME["demo.client2"].id)} <= listed
    assert not listed & {str(BY_USERNAME["demo.client3"].id), str(BY_USERNAME["demo.client4"].id)}
    coordinator2 = platform.sign_in("demo.coordinator2")
    reports_before = ok(coordinator2.get(f"{PT}/clients/{theirs}/reports"))

    for part in ["profile", "reports", "plans", "appointments", "measurements"]:
        other = coordinator.get(f"{PT}/clients/{theirs}/{part}")
        missing = coordinator.get(f"{PT}/clients/{nobody}/{part}")
        assert other.status_code == missing.status_code == 404, part
        assert comparable(other) == comparable(missing), part  # the existence oracle is gone
        assert other.json()["detail"] == f"client {theirs} does not exist"
    plan = demo_id("portal.plan.demo.client3.1")
    other = coordinator.get(f"{PT}/clients/{theirs}/plans/{plan}.pdf")
    missing = coordinator.get(f"{PT}/clients/{nobody}/plans/{plan}.pdf")
    assert comparable(other) == comparable(missing) and other.status_code == 404
    writes = [("reports", {"json": {"text": "Niet van ons."}}), ("measurements", {"json": {"type": "weight", "value": 70}}),
              ("plans", {"params": {"title": "Plan"}, "content": PDF}),
              ("appointments", {"json": {"title": "X", "starts_at": "2026-12-24T10:00:00+01:00",
                                         "ends_at": "2026-12-24T11:00:00+01:00"}})]
    for part, body in writes:
        other = coordinator.post(f"{PT}/clients/{theirs}/{part}", **body)
        missing = coordinator.post(f"{PT}/clients/{nobody}/{part}", **body)
        assert other.status_code == missing.status_code == 404, part
        assert comparable(other) == comparable(missing), part
    assert coordinator.post(f"{PT}/clients/{theirs}/plans/{plan}/approve").status_code == 404
    # nothing was written to the other organisation's client
    reports = ok(coordinator2.get(f"{PT}/clients/{theirs}/reports"))
    assert "Niet van ons." not in [r["text"] for r in reports] and len(reports) == len(reports_before)

    # naming the other organisation: a 403 that says which
    crossing = coordinator.post(f"{PT}/clients", json={"account_id": str(BY_USERNAME["demo.client4"].id),
                                                       "organisation_id": str(CARE_2.id), "display_name": "X"})
    assert crossing.status_code == 403 and "Rivierzorg" in crossing.json()["detail"]
    assert crossing.json()["organisation_id"] == str(CARE_2.id)
    listing = coordinator.get(f"{PT}/clients", params={"organisation_id": str(CARE_2.id)})
    assert listing.status_code == 403 and "Rivierzorg" in listing.json()["detail"]
    # a client of another organisation cannot be recorded in one's own either
    foreign = coordinator.post(f"{PT}/clients", json={"account_id": str(BY_USERNAME["demo.client4"].id),
                                                      "organisation_id": str(CARE_1.id), "display_name": "X"})
    assert foreign.status_code == 403 and "Zorgveld" in foreign.json()["detail"]

    denied = ok(admin.get(f"{PT}/admin/audit", params={"actor_id": coordinator.id, "subject_id": str(theirs)}))
    assert denied and not any(r["allowed"] for r in denied)
    assert {"read profile", "write report", "download plan"} <= {r["action"] for r in denied}
    assert {r["reason"] for r in denied} == {"not the client, their representative or a coordinator of their organisation"}


def test_a_representative_reaches_only_the_client_of_the_session_in_their_organisation(platform, coordinator, admin):
    representative = platform.sign_in("demo.representative")
    first, second = BY_USERNAME["demo.client"].id, BY_USERNAME["demo.client2"].id
    as_first = representative.act_for(first)
    assert until_status(lambda: as_first.get(f"{PT}/clients/{first}/profile"), 200,
                        "the represented client's profile").json()["id"] == str(first)
    assert [c["id"] for c in ok(as_first.get(f"{PT}/clients"))] == [str(first)]
    as_second = representative.act_for(second)
    ok(as_second.get(f"{PT}/clients/{second}/reports"))
    denied = as_first.get(f"{PT}/clients/{second}/reports")
    assert denied.status_code == 404  # represented, but not the client chosen for this session
    plan = demo_id("portal.plan.demo.client2.1")
    wrong_client = as_first.post(f"{PT}/clients/{first}/plans/{plan}/approve")
    assert wrong_client.status_code == 404 and "support plan" in wrong_client.json()["detail"]  # another client's plan

    # the act claim alone is not enough: without "representative" in the client's organisation, refused
    rep_id = representative.id
    ok(coordinator.delete(f"{D}/{CARE_1.id}/members/{rep_id}/representative"), 204)  # the coordinator revokes it
    try:
        until_status(lambda: as_first.get(f"{PT}/clients/{first}/profile"), 404, "the revoked representative refused")
    finally:
        ok(coordinator.post(f"{D}/{CARE_1.id}/members", json={"account_id": rep_id, "role": "representative"}), 200, 201)
    until_status(lambda: as_first.get(f"{PT}/clients/{first}/profile"), 200, "the representative again")
    rows = ok(admin.get(f"{PT}/admin/audit", params={"actor_id": rep_id}))
    reasons = {(r["action"], r["reason"]) for r in rows if not r["allowed"]}
    assert ("read reports", "a representative reaches only the client chosen for this session") in reasons
    assert ("read profile", "not a representative in the client's organisation") in reasons


def refused_outside(answer, organisation) -> None:
    """The gateway's 403 for a link across organisations: it names the organisation."""
    assert answer.status_code == 403, answer.text
    assert answer.json()["organisation_id"] == str(organisation.id) and str(organisation.id) in answer.json()["detail"]


def test_a_representative_of_another_organisation_is_refused(platform, coordinator, admin):
    """Representative 2 (Rivierzorg) and a client of Zorgveld: the gateway refuses the link in either
    organisation and acting for the client. A session that acts for the client from when representative 2 also
    represented in Zorgveld outlives that membership: the portal, which cannot confirm it from its directory
    any more, serves it nothing of the client."""
    rep2, client = BY_USERNAME["demo.representative2"], BY_USERNAME["demo.client"]
    coordinator2 = platform.sign_in("demo.coordinator2")

    def link(by: Person, organisation) -> object:
        return by.post(f"{D}/{organisation.id}/representations", json={"representative_id": str(rep2.id), "client_id": str(client.id)})

    refused_outside(link(coordinator, CARE_1), CARE_1)  # not a representative there
    refused_outside(link(coordinator2, CARE_2), CARE_2)  # not a client there
    representative2 = platform.sign_in("demo.representative2")
    assert representative2.post("/identity/act-for", json={"client_id": str(client.id)}).status_code == 403

    # a representative in Zorgveld too for a while: linked, a session acting for the client, then not any more
    ok(coordinator.post(f"{D}/{CARE_1.id}/members", json={"account_id": str(rep2.id), "role": "representative"}), 200, 201)
    try:
        ok(link(coordinator, CARE_1), 201)
        as_client = representative2.act_for(client.id)
        until_status(lambda: as_client.get(f"{PT}/clients/{client.id}/profile"), 200, "representative 2 serving in Zorgveld")
        ok(coordinator.delete(f"{D}/{CARE_1.id}/representations/{rep2.id}/{client.id}"), 204)
    finally:
        ok(coordinator.delete(f"{D}/{CARE_1.id}/members/{rep2.id}/representative"), 204)
    assert representative2.post("/identity/act-for", json={"client_id": str(client.id)}).status_code == 403
    until_status(lambda: as_client.get(f"{PT}/clients/{client.id}/profile"), 404,
                 "the portal refusing the session it cannot confirm")
    nobody = uuid.uuid4()
    for part in ("profile", "reports", "plans", "measurements", "appointments"):
        refused = as_client.get(f"{PT}/clients/{client.id}/{part}")
        missing = as_client.get(f"{PT}/clients/{nobody}/{part}")
        assert refused.status_code == 404 and comparable(refused) == comparable(missing), part
    assert as_client.post(f"{PT}/clients/{client.id}/reports", json={"text": "Hallo"}).status_code == 404
    assert ok(as_client.get(f"{PT}/clients")) == []
    own_client = BY_USERNAME["demo.client3"].id  # and their own clients only through a session for them
    as_own = representative2.act_for(own_client)
    until_status(lambda: as_own.get(f"{PT}/clients/{own_client}/profile"), 200, "representative 2's own client")


def test_an_organisation_made_inactive_in_the_directory_closes_its_records(platform, admin):
    coordinator2 = platform.sign_in("demo.coordinator2")
    profile = f"{PT}/clients/{BY_USERNAME['demo.client4'].id}/profile"
    until_status(lambda: coordinator2.get(profile), 200, "Rivierzorg's client")

    def set_active(active: bool) -> None:  # the admin deactivates (or reactivates) Rivierzorg in the gateway
        assert ok(admin.patch(f"{D}/{CARE_2.id}", json={"active": active}))["active"] is active

    set_active(False)
    try:
        until_status(lambda: coordinator2.get(profile), 404, "the inactive organisation closed")
        assert ok(coordinator2.get(f"{PT}/clients")) == []
    finally:
        set_active(True)
    until_status(lambda: coordinator2.get(profile), 200, "the organisation active again")


def test_a_confirmed_booking_becomes_an_appointment(platform, admin):
    """demo.client2 books and pays a session with a marketplace therapist for tomorrow: the portal lists it."""
    me = platform.sign_in("demo.client2")
    therapist, _ = fresh_therapist(platform, admin, name="Test Terapeut Portaal")
    book_and_pay(me, new_slot(therapist, days=1, hour=9)["id"])

    def listed():
        answer = me.get(f"{PT}/clients/{me.id}/appointments")
        return [a for a in answer.json()["tomorrow"] if a["source"] == "booking"] if answer.status_code == 200 else None

    (appointment,) = wait_for(listed, what="the booking among tomorrow's appointments")
    assert appointment["title"] == "Session"
