"""Appointment types, week templates and group appointments with real servers (booking, notify, billing,
PostgreSQL, RabbitMQ): generation over a DST change, 50 concurrent adds to 10 seats, an edit storm that
sends one notice per patient, and closing into the journals and billing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from billing.app import build as build_billing
from billing.settings import Settings as BillingSettings
from booking.app import build as build_booking
from booking.settings import Settings as BookingSettings
from booking.testing import clinic_practitioner
from contracts.gateway.v1 import AccountCreated, ContactDetailsChanged
from kit.db import Database
from kit.testing import fetch, free_port, publish_many, running_service, wait_for
from kit.testing.tokens import TokenIssuer
from notify.app import build as build_notify
from notify.settings import Settings as NotifySettings
from notify.sink import start_sink

KEY = TokenIssuer()
ADMIN = KEY.headers(uuid.uuid4(), "admin")
OSLO = ZoneInfo("Europe/Oslo")


def next_spring_forward() -> date:
    """The Sunday the clocks next go forward in Oslo (the last Sunday of March), at least a week away."""
    year = datetime.now(OSLO).year
    while True:
        last_sunday = max(date(year, 3, day) for day in range(25, 32) if date(year, 3, day).weekday() == 6)
        if last_sunday - timedelta(days=14) > datetime.now(OSLO).date():
            return last_sunday
        year += 1
NOTICE_DELAY_S = 2.0  # five minutes in production; short here, the replacing is the same


@pytest.fixture(scope="module")
async def clinic(test_env):
    booking = test_env.settings(BookingSettings, database="booking_groups", jwt_public_key=KEY.public_pem)
    notify = test_env.settings(NotifySettings, database="notify_groups", smtp_port=free_port(), sender_poll_interval_s=0.1,
                               group_notice_delay_s=NOTICE_DELAY_S)
    billing = test_env.settings(BillingSettings, database="billing_groups", jwt_public_key=KEY.public_pem)
    async with running_service(build_booking(booking), test_env) as booking_service, \
            running_service(build_notify(notify), test_env) as notify_service, \
            running_service(build_billing(billing), test_env) as billing_service:
        sink_db = Database(notify.database_url, pool_size=2)
        sink = await start_sink(sink_db, "127.0.0.1", notify.smtp_port)
        yield booking_service, notify_service, billing_service
        sink.close()
        await sink_db.dispose()


async def practitioner_with_patients(svc, test_env, count: int) -> tuple[dict, list[uuid.UUID], dict[uuid.UUID, str]]:
    """An authorised practitioner and ``count`` patients on their list, each with an email address."""
    me, headers, _ = await clinic_practitioner(svc.client, KEY, test_env, name="Test Behandler")
    patients = [uuid.uuid4() for _ in range(count)]
    emails = {p: f"pasient-{p.hex[:10]}@example.org" for p in patients}
    await publish_many(test_env, [
        *(ContactDetailsChanged(account_id=p, display_name=f"Test Pasient {i:02d}", email=emails[p], language="nb")
          for i, p in enumerate(patients)),
        *(AccountCreated(account_id=p, roles=["client"], display_name=f"Test Pasient {i:02d}", created_by=me)
          for i, p in enumerate(patients)),
    ])

    async def all_listed():
        return len((await svc.client.get("/clients", headers=headers)).json()) == count

    await wait_for(all_listed, what=f"{count} patients on the practitioner's list")
    return headers, patients, emails


async def group_type(svc, headers, **overrides) -> str:
    body = {"name": "Mestringsgruppe", "length_minutes": 90, "kind": "group", "seats": 10, "notifications": True} | overrides
    created = await svc.client.post("/appointment-types", headers=headers, json=body)
    assert created.status_code == 201, created.text
    return created.json()["id"]


async def test_a_week_template_generates_the_right_appointments_over_a_dst_change(clinic, test_env):
    svc, _, _ = clinic
    _, headers, _ = await clinic_practitioner(svc.client, KEY, test_env)
    kind = await group_type(svc, headers)
    template = await svc.client.post("/week-templates", headers=headers, json={
        "name": "Vårsemester", "time_zone": "Europe/Oslo",
        "entries": [{"weekday": 0, "starts": "09:00", "type_id": kind}, {"weekday": 2, "starts": "17:30", "type_id": kind}]})
    assert template.status_code == 201, template.text
    change = next_spring_forward()  # a Sunday; the weeks around it run Monday change-13 … Sunday change+7
    day = {offset: (change + timedelta(days=offset)).isoformat() for offset in (-13, -11, -6, -4, 1, 3, 7, 8)}
    # a marketplace slot already sits on the Monday after the clocks go forward, at 09:30
    slot = await svc.client.post("/slots", headers=headers, json={
        "starts_at": f"{day[1]}T09:30:00+02:00", "length_minutes": 45, "price_minor": 80000})
    assert slot.status_code == 201, slot.text

    period = {"first": day[-13], "last": day[7]}  # three weeks around the change
    generated = await svc.client.post(f"/week-templates/{template.json()['id']}/generate", headers=headers, json=period)
    assert generated.json() == {"created": 5, "skipped": 1}
    book = (await svc.client.get("/appointments", headers=headers,
                                 params={"from": f"{day[-13]}T00:00:00+01:00", "to": f"{day[8]}T00:00:00+02:00"})).json()
    local = [datetime.fromisoformat(a["starts_at"]).astimezone(OSLO) for a in book]
    assert [(t.date().isoformat(), t.strftime("%H:%M")) for t in local] == [
        (day[-13], "09:00"), (day[-11], "17:30"), (day[-6], "09:00"), (day[-4], "17:30"), (day[3], "17:30")]
    assert {t.utcoffset() for t in local} == {timedelta(hours=1), timedelta(hours=2)}
    assert all(a["seats"] == 10 and a["kind"] == "group" and a["patients"] == [] for a in book)

    again = await svc.client.post(f"/week-templates/{template.json()['id']}/generate", headers=headers, json=period)
    assert again.json() == {"created": 0, "skipped": 6}  # idempotent
    bad = await svc.client.post(f"/week-templates/{template.json()['id']}/generate", headers=headers,
                                json={"first": day[7], "last": day[-13]})
    assert bad.status_code == 422 and "ends before" in bad.json()["detail"]


async def test_fifty_concurrent_adds_to_a_ten_seat_session_give_exactly_ten(clinic, test_env):
    svc, _, _ = clinic
    headers, patients, _ = await practitioner_with_patients(svc, test_env, 50)
    kind = await group_type(svc, headers, notifications=False)
    session = (await svc.client.post("/appointments", headers=headers, json={
        "type_id": kind, "starts_at": (datetime.now(UTC) + timedelta(days=3)).isoformat()})).json()

    results = await asyncio.gather(*(svc.client.post(f"/appointments/{session['id']}/patients", headers=headers,
                                                     json={"patient_ids": [str(p)]}) for p in patients))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] * 10 + [409] * 40
    assert {r.json()["type"] for r in results if r.status_code == 409} == {"/problems/appointment-full"}
    booked = (await svc.client.get(f"/appointments/{session['id']}", headers=headers)).json()["patients"]
    assert len(booked) == 10
    count = await fetch(svc.settings, "SELECT count(*) AS n FROM appointment_patients WHERE appointment_id = $1 AND status = 'booked'",
                        uuid.UUID(session["id"]))
    assert count[0]["n"] == 10

    fewer = await svc.client.patch(f"/appointments/{session['id']}", headers=headers, json={"seats": 9})
    assert fewer.status_code == 422 and "cannot go below" in fewer.json()["detail"]
    more = await svc.client.patch(f"/appointments/{session['id']}", headers=headers, json={"seats": 12})
    assert more.json()["seats"] == 12
    stranger = await svc.client.post(f"/appointments/{session['id']}/patients", headers=headers, json={"patient_ids": [str(uuid.uuid4())]})
    assert stranger.status_code == 422 and "not your patients" in stranger.json()["detail"]
    found = (await svc.client.get("/patients/search", headers=headers, params={"q": "pasient 0"})).json()
    assert len(found) == 10 and all(f["name"].startswith("Test Pasient 0") for f in found)


async def test_an_edit_storm_inside_the_window_sends_one_notice_per_patient(clinic, test_env):
    svc, notify, _ = clinic
    headers, patients, emails = await practitioner_with_patients(svc, test_env, 4)
    kind = await group_type(svc, headers)
    first_time = datetime.combine(datetime.now(OSLO).date() + timedelta(days=60), time(10, 0), tzinfo=OSLO)
    session = (await svc.client.post("/appointments", headers=headers, json={
        "type_id": kind, "starts_at": first_time.isoformat(), "patient_ids": [str(p) for p in patients[:3]]})).json()
    for minutes in (15, 30, 45):  # moved three times, a note, a fourth patient, one patient cancelled
        moved = await svc.client.patch(f"/appointments/{session['id']}", headers=headers,
                                       json={"starts_at": (first_time + timedelta(minutes=minutes)).isoformat()})
        assert moved.status_code == 200, moved.text
    await svc.client.patch(f"/appointments/{session['id']}", headers=headers, json={"note": "Ta med innesko"})
    await svc.client.post(f"/appointments/{session['id']}/patients", headers=headers, json={"patient_ids": [str(patients[3])]})
    cancelled = await svc.client.post(f"/appointments/{session['id']}/patients/{patients[0]}/cancel", headers=headers)
    assert cancelled.status_code == 200

    async def settled():
        rows = await fetch(notify.settings, "SELECT status, to_address FROM messages WHERE template = 'group_appointment_notice' "
                                            "AND schedule_key LIKE $1", f"group-notice:{session['id']}:%")
        return rows if rows and not any(r["status"] == "queued" for r in rows) else None

    rows = await wait_for(settled, timeout=30, what="the group notices sent")
    sent = sorted(r["to_address"] for r in rows if r["status"] == "sent")
    assert sent == sorted(emails[p] for p in patients[1:])  # one each; the cancelled patient was never told
    for patient in patients[1:]:
        mails = (await notify.client.get("/dev/mail", params={"to": emails[patient]})).json()
        assert len(mails) == 1
        assert "10:45" in mails[0]["body"]  # the last time, in the clinic's zone
    assert (await notify.client.get("/dev/mail", params={"to": emails[patients[0]]})).json() == []


async def test_closing_puts_the_note_in_each_journal_and_opens_billing_cards(clinic, test_env):
    svc, _, billing = clinic
    headers, (anna, bo, cai), _ = await practitioner_with_patients(svc, test_env, 3)
    unknown = await svc.client.post("/appointment-types", headers=headers, json={
        "name": "X", "length_minutes": 60, "kind": "group", "seats": 4, "helfo": True, "tariff_codes": ["ZZ9"]})
    assert unknown.status_code == 422 and "unknown HELFO tariff codes: ZZ9" in unknown.json()["detail"]
    kind = await group_type(svc, headers, helfo=True, tariff_codes=["2ad", "8"], extra_fee_minor=15000, notifications=False)
    earlier = await svc.client.post(f"/clients/{anna}/notes", headers=headers, json={"text": "Individuell time.", "problem_code": "P74"})
    assert earlier.status_code == 201
    session = (await svc.client.post("/appointments", headers=headers, json={
        "type_id": kind, "starts_at": (datetime.now(UTC) - timedelta(minutes=80)).isoformat(),
        "patient_ids": [str(anna), str(bo), str(cai)]})).json()
    base = f"/appointments/{session['id']}"

    checked = await svc.client.post(f"{base}/patients/{anna}/check-in", headers=headers)
    assert [p["checked_in_at"] is not None for p in checked.json()["patients"]] == [True, False, False]
    assert (await svc.client.post(f"{base}/patients/{cai}/check-out", headers=headers)).status_code == 409
    outsider = await svc.client.post(f"{base}/patients/{uuid.uuid4()}/check-in", headers=headers)
    assert outsider.status_code == 404 and outsider.json()["type"] == "/problems/not-on-appointment"

    closed = await svc.client.post(f"{base}/close", headers=headers, json={
        "note": "Gruppen arbeidet med søvnhygiene.",
        "patients": [{"patient_id": str(anna), "guarantee_code": "FK1"}, {"patient_id": str(bo), "bill": False},
                     {"patient_id": str(cai), "attended": False}]})
    assert closed.status_code == 200, closed.text
    assert [(p["attended"], p["billed"]) for p in closed.json()["patients"]] == [(True, True), (True, False), (False, False)]
    again = await svc.client.post(f"{base}/close", headers=headers, json={"note": "igjen"})
    assert again.status_code == 409 and again.json()["type"] == "/problems/appointment-closed"
    # closed within its first five minutes: its notes and billing cards point at it, so it stays
    gone = await svc.client.delete(base, headers=headers)
    assert gone.status_code == 409 and gone.json()["type"] == "/problems/appointment-closed"

    for patient, expected in ((anna, 1), (bo, 1), (cai, 0)):
        notes = (await svc.client.get(f"/clients/{patient}/notes", headers=headers)).json()
        group_notes = [n for n in notes if n["kind"] == "administrative"]
        assert [n["text"] for n in group_notes] == ["Gruppen arbeidet med søvnhygiene."] * expected
    claim = (await svc.client.get(f"{base}/helfo-claim", headers=headers)).json()
    fee = sum(svc.settings.helfo_tariffs[code]["fee_minor"] for code in ("2ad", "8"))
    assert claim == [{"patient_id": str(anna), "tariff_codes": ["2ad", "8"], "problem_code": "P74", "guarantee_code": "FK1",
                      "fee_minor": fee, "patient_share_minor": 0, "refund_minor": fee}]  # exemption card: HELFO pays all
    audited = await fetch(svc.settings, "SELECT action, subject_id, organisation FROM audit_trail "
                                        "WHERE subject_id = ANY($1::uuid[]) AND action <> 'read note' ORDER BY id", [anna, bo, cai])
    assert [(r["action"], r["subject_id"]) for r in audited] == [
        ("write note", anna), ("read note: problem code", anna),  # the code of anna's last note; bo has none
        ("write administrative note", anna), ("write administrative note", bo), ("read note: helfo claim", anna)]
    clinic = (await svc.client.get(f"{base}", headers=headers)).json()["organisation_id"]
    assert [r["organisation"] for r in audited] == [None] + [clinic] * 4  # the clinic's work says where it was done
    assert (await svc.client.get("/admin/journal/audit/verify", headers=KEY.headers(uuid.uuid4(), "admin"))).json()["valid"]

    async def cards():
        found = (await billing.client.get("/billing-cards", headers=headers)).json()
        return found or None

    (card,) = await wait_for(cards, what="the billing card in billing")
    assert (card["patient_id"], card["status"], card["amount_minor"], card["currency"], card["tariff_codes"], card["guarantee_code"]) == (
        str(anna), "pay_later", 15000, "NOK", ["2ad", "8"], "FK1")  # the extra fee only: the exemption card covers the share
    assert (card["helfo_fee_minor"], card["patient_share_minor"], card["helfo_refund_minor"]) == (fee, 0, fee)
    paid = await billing.client.post(f"/billing-cards/{card['id']}/payment", headers=headers, json={"method": "vipps"})
    assert paid.json()["status"] == "paid"
    twice = await billing.client.post(f"/billing-cards/{card['id']}/payment", headers=headers, json={"method": "cash"})
    assert twice.status_code == 409


async def test_pay_later_cards_combine_into_a_collective_invoice(clinic, test_env):
    svc, _, billing = clinic
    headers, (patient,), _ = await practitioner_with_patients(svc, test_env, 1)
    kind = await group_type(svc, headers, extra_fee_minor=25000, notifications=False)
    for hours_ago in (30, 6):
        session = (await svc.client.post("/appointments", headers=headers, json={
            "type_id": kind, "starts_at": (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat(),
            "patient_ids": [str(patient)]})).json()
        assert (await svc.client.post(f"/appointments/{session['id']}/close", headers=headers, json={"note": "Økt"})).status_code == 200

    async def two_cards():
        found = (await billing.client.get("/billing-cards", headers=headers, params={"status": "pay_later"})).json()
        return found if len(found) == 2 else None

    cards = await wait_for(two_cards, what="two pay-later cards")
    invoice = await billing.client.post("/collective-invoices", headers=headers, json={"card_ids": [c["id"] for c in cards]})
    assert invoice.status_code == 201, invoice.text
    assert (invoice.json()["total_minor"], [c["status"] for c in invoice.json()["cards"]]) == (50000, ["invoiced", "invoiced"])
    reused = await billing.client.post("/collective-invoices", headers=headers, json={"card_ids": [cards[0]["id"]]})
    assert reused.status_code == 409
    paid = await billing.client.post(f"/collective-invoices/{invoice.json()['id']}/payment", headers=headers, json={"method": "bank_transfer"})
    assert [c["status"] for c in paid.json()["cards"]] == ["paid", "paid"]


async def test_delete_within_five_minutes_otherwise_cancel(clinic, test_env):
    svc, _, _ = clinic
    headers, (patient,), _ = await practitioner_with_patients(svc, test_env, 1)
    kind = await group_type(svc, headers, notifications=False)
    starts = datetime.now(UTC) + timedelta(days=10)
    fresh = (await svc.client.post("/appointments", headers=headers, json={"type_id": kind, "starts_at": starts.isoformat()})).json()
    assert (await svc.client.delete(f"/appointments/{fresh['id']}", headers=headers)).status_code == 204
    assert (await svc.client.get(f"/appointments/{fresh['id']}", headers=headers)).status_code == 404

    older = (await svc.client.post("/appointments", headers=headers, json={
        "type_id": kind, "starts_at": starts.isoformat(), "patient_ids": [str(patient)]})).json()
    await fetch(svc.settings, "UPDATE appointments SET created_at = created_at - interval '6 minutes' WHERE id = $1", uuid.UUID(older["id"]))
    late = await svc.client.delete(f"/appointments/{older['id']}", headers=headers)
    assert late.status_code == 409 and late.json()["type"] == "/problems/delete-window-passed"
    overlapping = await svc.client.post("/appointments", headers=headers, json={
        "type_id": kind, "starts_at": (starts + timedelta(minutes=30)).isoformat()})
    assert overlapping.status_code == 409 and overlapping.json()["type"] == "/problems/appointment-overlaps"

    copy = await svc.client.post(f"/appointments/{older['id']}/copy", headers=headers,
                                 json={"starts_at": (starts + timedelta(days=7)).isoformat()})
    assert [p["patient_id"] for p in copy.json()["patients"]] == [str(patient)]
    cancelled = await svc.client.post(f"/appointments/{older['id']}/cancel", headers=headers)
    assert cancelled.json()["status"] == "cancelled"
    assert (await svc.client.post(f"/appointments/{older['id']}/patients", headers=headers,
                                  json={"patient_ids": [str(patient)]})).status_code == 409
    # the cancelled time is free again
    assert (await svc.client.post("/appointments", headers=headers, json={
        "type_id": kind, "starts_at": (starts + timedelta(minutes=30)).isoformat()})).status_code == 201
