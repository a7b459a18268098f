"""Appointment types, week templates and group appointments on the shared platform, each person signed in
through the gateway as they do (#19): generation over a DST change, 50 concurrent adds to 10 seats, an edit
storm that sends one notice per patient, and closing into the journals and billing. Each test has a practitioner
of their own (a new therapist the demo admin authorises and grants "practitioner" in a new clinic,
flows.fresh_practitioner) who makes the patients' accounts (BK-12), so that their list and book are the test's.
The notice delay is a few seconds on the test platform (five minutes in production, tests/journeys/people.py).
That an appointment is deleted only within five minutes of being made is a pure rule
(services/booking/tests/test_appointment_rules.py); here one made just now is deleted."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flows import BL, B, fresh_practitioner, unique
from people import ok, wait_for

from booking.settings import Settings as BookingSettings

OSLO = ZoneInfo("Europe/Oslo")
#: the HELFO tariffs the platform runs with (booking's default settings, as `make run` starts it)
TARIFFS = BookingSettings.model_fields["helfo_tariffs"].default_factory()


def next_spring_forward() -> date:
    """The Sunday the clocks next go forward in Oslo (the last Sunday of March), at least a week away."""
    year = datetime.now(OSLO).year
    while True:
        last_sunday = max(date(year, 3, day) for day in range(25, 32) if date(year, 3, day).weekday() == 6)
        if last_sunday - timedelta(days=14) > datetime.now(OSLO).date():
            return last_sunday
        year += 1


@pytest.fixture(scope="module")
def admin(platform):
    return platform.sign_in("demo.admin")


def practitioner_with_patients(platform, admin, count: int):
    """A practitioner of their own clinic and ``count`` patients whose accounts they made (BK-12), each with an
    email address. Returns the practitioner, the patients' ids and their emails by id."""
    me, _ = fresh_practitioner(platform, admin)

    def make(index: int) -> dict:
        email = f"{unique('pasient')}@example.org"
        def made():  # the gateway learns of the authorisation from booking's event (403 until then)
            answer = me.post("/identity/accounts", json={"display_name": f"Test Pasient {index:02d}", "roles": ["client"],
                                                         "email": email, "language": "nb"})
            return ok(answer, 201) if answer.status_code != 403 else None
        return wait_for(made, what="the practitioner making a patient's account") | {"email": email}

    with ThreadPoolExecutor(max_workers=8) as pool:
        accounts = list(pool.map(make, range(count)))
    wait_for(lambda: len(ok(me.get(f"{B}/clients"))) == count, what=f"{count} patients on the practitioner's list")
    return me, [a["id"] for a in accounts], {a["id"]: a["email"] for a in accounts}


def group_type(me, **overrides) -> str:
    body = {"name": "Mestringsgruppe", "length_minutes": 90, "kind": "group", "seats": 10, "notifications": True} | overrides
    return ok(me.post(f"{B}/appointment-types", json=body), 201)["id"]


def test_a_week_template_generates_the_right_appointments_over_a_dst_change(platform, admin):
    me, _ = fresh_practitioner(platform, admin)
    kind = group_type(me)
    template = ok(me.post(f"{B}/week-templates", json={
        "name": "Vårsemester", "time_zone": "Europe/Oslo",
        "entries": [{"weekday": 0, "starts": "09:00", "type_id": kind}, {"weekday": 2, "starts": "17:30", "type_id": kind}]}), 201)
    change = next_spring_forward()  # a Sunday; the weeks around it run Monday change-13 … Sunday change+7
    day = {offset: (change + timedelta(days=offset)).isoformat() for offset in (-13, -11, -6, -4, 1, 3, 7, 8)}
    # a marketplace slot already sits on the Monday after the clocks go forward, at 09:30
    ok(me.post(f"{B}/slots", json={"starts_at": f"{day[1]}T09:30:00+02:00", "length_minutes": 45, "price_minor": 80000}), 201)

    period = {"first": day[-13], "last": day[7]}  # three weeks around the change
    generate = f"{B}/week-templates/{template['id']}/generate"
    assert ok(me.post(generate, json=period)) == {"created": 5, "skipped": 1}
    book = ok(me.get(f"{B}/appointments", params={"from": f"{day[-13]}T00:00:00+01:00", "to": f"{day[8]}T00:00:00+02:00"}))
    local = [datetime.fromisoformat(a["starts_at"]).astimezone(OSLO) for a in book]
    assert [(t.date().isoformat(), t.strftime("%H:%M")) for t in local] == [
        (day[-13], "09:00"), (day[-11], "17:30"), (day[-6], "09:00"), (day[-4], "17:30"), (day[3], "17:30")]
    assert {t.utcoffset() for t in local} == {timedelta(hours=1), timedelta(hours=2)}
    assert all(a["seats"] == 10 and a["kind"] == "group" and a["patients"] == [] for a in book)

    assert ok(me.post(generate, json=period)) == {"created": 0, "skipped": 6}  # idempotent
    bad = me.post(generate, json={"first": day[7], "last": day[-13]})
    assert bad.status_code == 422 and "ends before" in bad.json()["detail"]


def test_fifty_concurrent_adds_to_a_ten_seat_session_give_exactly_ten(platform, admin):
    me, patients, _ = practitioner_with_patients(platform, admin, 50)
    kind = group_type(me, notifications=False)
    session = ok(me.post(f"{B}/appointments", json={"type_id": kind, "starts_at": (datetime.now(UTC) + timedelta(days=3)).isoformat()}),
                 201)

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lambda p: me.post(f"{B}/appointments/{session['id']}/patients", json={"patient_ids": [p]}), patients))
    assert sorted(r.status_code for r in results) == [200] * 10 + [409] * 40
    assert {r.json()["type"] for r in results if r.status_code == 409} == {"/problems/appointment-full"}
    booked = ok(me.get(f"{B}/appointments/{session['id']}"))["patients"]
    assert len(booked) == 10 and len({p["patient_id"] for p in booked}) == 10

    fewer = me.patch(f"{B}/appointments/{session['id']}", json={"seats": 9})
    assert fewer.status_code == 422 and "cannot go below" in fewer.json()["detail"]
    assert ok(me.patch(f"{B}/appointments/{session['id']}", json={"seats": 12}))["seats"] == 12
    stranger = me.post(f"{B}/appointments/{session['id']}/patients", json={"patient_ids": [admin.id]})
    assert stranger.status_code == 422 and "not your patients" in stranger.json()["detail"]
    found = ok(me.get(f"{B}/patients/search", params={"q": "pasient 0"}))
    assert len(found) == 10 and all(f["name"].startswith("Test Pasient 0") for f in found)


def test_an_edit_storm_inside_the_window_sends_one_notice_per_patient(platform, admin):
    me, patients, emails = practitioner_with_patients(platform, admin, 4)
    name = unique("Mestringsgruppe")
    kind = group_type(me, name=name)
    first_time = datetime.combine(datetime.now(OSLO).date() + timedelta(days=60), time(10, 0), tzinfo=OSLO)
    session = ok(me.post(f"{B}/appointments", json={
        "type_id": kind, "starts_at": first_time.isoformat(), "patient_ids": patients[:3]}), 201)
    for minutes in (15, 30, 45):  # moved three times, a note, a fourth patient, one patient cancelled
        ok(me.patch(f"{B}/appointments/{session['id']}", json={"starts_at": (first_time + timedelta(minutes=minutes)).isoformat()}))
    ok(me.patch(f"{B}/appointments/{session['id']}", json={"note": "Ta med innesko"}))
    ok(me.post(f"{B}/appointments/{session['id']}/patients", json={"patient_ids": [patients[3]]}))
    ok(me.post(f"{B}/appointments/{session['id']}/patients/{patients[0]}/cancel"))

    def notices(patient: str) -> list[dict]:
        return [m for m in platform.mails(emails[patient]) if name in m["subject"]]

    wait_for(lambda: all(notices(p) for p in patients[1:]), what="the group notices sent", timeout=60)
    for patient in patients[1:]:  # one each, with the last time in the clinic's zone
        (mail,) = notices(patient)
        assert "10:45" in mail["body"]
    assert notices(patients[0]) == []  # the cancelled patient was never told


def test_closing_puts_the_note_in_each_journal_and_opens_billing_cards(platform, admin):
    me, (anna, bo, cai), _ = practitioner_with_patients(platform, admin, 3)
    unknown = me.post(f"{B}/appointment-types", json={
        "name": "X", "length_minutes": 60, "kind": "group", "seats": 4, "helfo": True, "tariff_codes": ["ZZ9"]})
    assert unknown.status_code == 422 and "unknown HELFO tariff codes: ZZ9" in unknown.json()["detail"]
    kind = group_type(me, helfo=True, tariff_codes=["2ad", "8"], extra_fee_minor=15000, notifications=False)
    ok(me.post(f"{B}/clients/{anna}/notes", json={"text": "Individuell time.", "problem_code": "P74"}), 201)
    session = ok(me.post(f"{B}/appointments", json={
        "type_id": kind, "starts_at": (datetime.now(UTC) - timedelta(minutes=80)).isoformat(), "patient_ids": [anna, bo, cai]}), 201)
    base = f"{B}/appointments/{session['id']}"

    checked = ok(me.post(f"{base}/patients/{anna}/check-in"))
    assert [p["checked_in_at"] is not None for p in checked["patients"]] == [True, False, False]
    assert me.post(f"{base}/patients/{cai}/check-out").status_code == 409
    outsider = me.post(f"{base}/patients/{admin.id}/check-in")
    assert outsider.status_code == 404 and outsider.json()["type"] == "/problems/not-on-appointment"

    closed = ok(me.post(f"{base}/close", json={
        "note": "Gruppen arbeidet med søvnhygiene.",
        "patients": [{"patient_id": anna, "guarantee_code": "FK1"}, {"patient_id": bo, "bill": False},
                     {"patient_id": cai, "attended": False}]}))
    assert [(p["attended"], p["billed"]) for p in closed["patients"]] == [(True, True), (True, False), (False, False)]
    again = me.post(f"{base}/close", json={"note": "igjen"})
    assert again.status_code == 409 and again.json()["type"] == "/problems/appointment-closed"
    # closed within its first five minutes: its notes and billing cards point at it, so it stays
    gone = me.delete(base)
    assert gone.status_code == 409 and gone.json()["type"] == "/problems/appointment-closed"

    for patient, expected in ((anna, 1), (bo, 1), (cai, 0)):
        group_notes = [n for n in ok(me.get(f"{B}/clients/{patient}/notes")) if n["kind"] == "administrative"]
        assert [n["text"] for n in group_notes] == ["Gruppen arbeidet med søvnhygiene."] * expected
    claim = ok(me.get(f"{base}/helfo-claim"))
    fee = sum(TARIFFS[code]["fee_minor"] for code in ("2ad", "8"))
    assert claim == [{"patient_id": anna, "tariff_codes": ["2ad", "8"], "problem_code": "P74", "guarantee_code": "FK1",
                      "fee_minor": fee, "patient_share_minor": 0, "refund_minor": fee}]  # exemption card: HELFO pays all
    # the journal audit, as the admin reads it (kit.audit): who wrote and read what of whom, and where
    audited = sorted((r for patient in (anna, bo, cai)
                      for r in ok(admin.get(f"{B}/admin/journal/audit", params={"subject_id": patient}))
                      if r["action"] != "read note"), key=lambda r: r["id"])
    assert [(r["action"], r["subject_id"]) for r in audited] == [
        ("write note", anna), ("read note: problem code", anna),  # the code of anna's last note; bo has none
        ("write administrative note", anna), ("write administrative note", bo), ("read note: helfo claim", anna)]
    clinic = ok(me.get(base))["organisation_id"]
    assert [r["organisation"] for r in audited] == [None] + [clinic] * 4  # the clinic's work says where it was done
    assert ok(admin.get(f"{B}/admin/journal/audit/verify"))["valid"]

    (card,) = wait_for(lambda: ok(me.get(f"{BL}/billing-cards")) or None, what="the billing card in billing")
    assert (card["patient_id"], card["status"], card["amount_minor"], card["currency"], card["tariff_codes"], card["guarantee_code"]) == (
        anna, "pay_later", 15000, "NOK", ["2ad", "8"], "FK1")  # the extra fee only: the exemption card covers the share
    assert (card["helfo_fee_minor"], card["patient_share_minor"], card["helfo_refund_minor"]) == (fee, 0, fee)
    assert ok(me.post(f"{BL}/billing-cards/{card['id']}/payment", json={"method": "vipps"}))["status"] == "paid"
    assert me.post(f"{BL}/billing-cards/{card['id']}/payment", json={"method": "cash"}).status_code == 409


def test_pay_later_cards_combine_into_a_collective_invoice(platform, admin):
    me, (patient,), _ = practitioner_with_patients(platform, admin, 1)
    kind = group_type(me, extra_fee_minor=25000, notifications=False)
    for hours_ago in (30, 6):
        session = ok(me.post(f"{B}/appointments", json={
            "type_id": kind, "starts_at": (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(), "patient_ids": [patient]}), 201)
        ok(me.post(f"{B}/appointments/{session['id']}/close", json={"note": "Økt"}))

    def two_cards():
        found = ok(me.get(f"{BL}/billing-cards", params={"status": "pay_later"}))
        return found if len(found) == 2 else None

    cards = wait_for(two_cards, what="two pay-later cards")
    invoice = ok(me.post(f"{BL}/collective-invoices", json={"card_ids": [c["id"] for c in cards]}), 201)
    assert (invoice["total_minor"], [c["status"] for c in invoice["cards"]]) == (50000, ["invoiced", "invoiced"])
    assert me.post(f"{BL}/collective-invoices", json={"card_ids": [cards[0]["id"]]}).status_code == 409
    paid = ok(me.post(f"{BL}/collective-invoices/{invoice['id']}/payment", json={"method": "bank_transfer"}))
    assert [c["status"] for c in paid["cards"]] == ["paid", "paid"]


def test_delete_within_five_minutes_otherwise_cancel(platform, admin):
    me, (patient,), _ = practitioner_with_patients(platform, admin, 1)
    kind = group_type(me, notifications=False)
    starts = datetime.now(UTC) + timedelta(days=10)
    fresh = ok(me.post(f"{B}/appointments", json={"type_id": kind, "starts_at": starts.isoformat()}), 201)
    assert me.delete(f"{B}/appointments/{fresh['id']}").status_code == 204
    assert me.get(f"{B}/appointments/{fresh['id']}").status_code == 404

    older = ok(me.post(f"{B}/appointments", json={"type_id": kind, "starts_at": starts.isoformat(), "patient_ids": [patient]}), 201)
    overlapping = me.post(f"{B}/appointments", json={"type_id": kind, "starts_at": (starts + timedelta(minutes=30)).isoformat()})
    assert overlapping.status_code == 409 and overlapping.json()["type"] == "/problems/appointment-overlaps"

    copy = ok(me.post(f"{B}/appointments/{older['id']}/copy", json={"starts_at": (starts + timedelta(days=7)).isoformat()}))
    assert [p["patient_id"] for p in copy["patients"]] == [patient]
    assert ok(me.post(f"{B}/appointments/{older['id']}/cancel"))["status"] == "cancelled"
    assert me.post(f"{B}/appointments/{older['id']}/patients", json={"patient_ids": [patient]}).status_code == 409
    # the cancelled time is free again
    ok(me.post(f"{B}/appointments", json={"type_id": kind, "starts_at": (starts + timedelta(minutes=30)).isoformat()}), 201)
