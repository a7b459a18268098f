"""The clinic practitioner (demo.practitioner of Fjordklinikken, Oslo time): signs in with username,
password and the SMS code (GW-3); makes a group appointment type (GR-1) and a week template it generates
slots from (GR-2); creates a patient's account (BK-12), finds them by search and adds them to a group
appointment (GR-3), checks them in and out (GR-6) and closes the session with a shared note: the patient is
marked attended and gets a billing card to pay later (GR-7, BL-7), which the practitioner takes payment for.
From the demo data: the clinic's group appointment with patients is in the practitioner's book."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flows import BL, B, new_phone
from people import ok, wait_for


@pytest.fixture(scope="module")
def practitioner(platform):
    return platform.sign_in("demo.practitioner")


def test_the_demo_group_appointment_is_in_the_book(practitioner):
    now = datetime.now(UTC)
    listed = ok(practitioner.get(f"{B}/appointments", params={"from": now.isoformat(),
                                                               "to": (now + timedelta(days=21)).isoformat()}))
    items = listed["items"] if isinstance(listed, dict) else listed
    assert any(a["patients"] for a in items), "the demo group appointment has patients"
    assert ok(practitioner.get(f"{B}/appointment-types"))


def test_runs_a_group_session_from_type_to_billing_card(platform, practitioner):
    kind = ok(practitioner.post(f"{B}/appointment-types", json={
        "name": f"Ryggskole {uuid.uuid4().hex[:4]}", "length_minutes": 60, "kind": "group", "seats": 6,
        "bookable_online": True, "notifications": True, "extra_fee_minor": 25000, "currency": "NOK"}), 201)
    template = ok(practitioner.post(f"{B}/week-templates", json={
        "name": "Høst", "time_zone": "Europe/Oslo", "entries": [{"weekday": 2, "starts": "10:00", "type_id": kind["id"]}]}), 201)
    first = (datetime.now(UTC) + timedelta(days=14)).date()
    generated = ok(practitioner.post(f"{B}/week-templates/{template['id']}/generate", json={
        "first": first.isoformat(), "last": (first + timedelta(days=13)).isoformat()}))
    assert generated["created"] == 2

    name = f"Test Pasient {uuid.uuid4().hex[:6]}"
    patient = ok(practitioner.post("/identity/accounts", json={
        "display_name": name, "roles": ["client"], "email": f"{uuid.uuid4().hex[:8]}@example.org", "phone": new_phone(),
        "language": "nb"}), 201)

    def found():
        return [p for p in ok(practitioner.get(f"{B}/patients/search", params={"q": name[-6:]})) if p["name"] == name]

    (hit,) = wait_for(found, what="the new patient in the practitioner's search")
    # the session began a few minutes ago: a session is closed once it has started (GR-7)
    starts = (datetime.now(UTC) - timedelta(minutes=5)).replace(second=0, microsecond=0)
    session = ok(practitioner.post(f"{B}/appointments", json={
        "type_id": kind["id"], "starts_at": starts.isoformat(), "time_zone": "Europe/Oslo",
        "patient_ids": [hit.get("patient_id") or hit.get("id")]}), 201)
    pid = patient["id"]
    ok(practitioner.post(f"{B}/appointments/{session['id']}/patients/{pid}/check-in"))
    ok(practitioner.post(f"{B}/appointments/{session['id']}/patients/{pid}/check-out"))
    closed = ok(practitioner.post(f"{B}/appointments/{session['id']}/close", json={"note": "Gruppen øvde på løfteteknikk."}))
    assert closed["status"] == "closed"
    assert practitioner.delete(f"{B}/appointments/{session['id']}").status_code == 409  # #19: closed is never deleted

    def card():
        cards = ok(practitioner.get(f"{BL}/billing-cards", params={"status": "pay_later"}))
        items = cards["items"] if isinstance(cards, dict) else cards
        return next((c for c in items if c["patient_id"] == pid), None)

    billing_card = wait_for(card, what="the patient's billing card")
    paid = ok(practitioner.post(f"{BL}/billing-cards/{billing_card['id']}/payment", json={"method": "vipps"}))
    assert paid["status"] == "paid"
