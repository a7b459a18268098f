"""The paid-booking saga across booking and billing (ARCHITECTURE.md), with real PostgreSQL, RabbitMQ
and the payment provider stub's signed webhooks over HTTP."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from billing.app import build as build_billing
from billing.settings import Settings as BillingSettings
from booking.app import build as build_booking
from booking.settings import Settings as BookingSettings
from booking.testing import authorised_therapist
from kit.testing import free_port, probe, running_service, wait_for
from kit.testing.tokens import TokenIssuer

ISSUER = TokenIssuer()
HOLD_MINUTES = 0.1  # six seconds to pay, so that expiry can be watched


@pytest.fixture(scope="module")
async def platform(test_env):
    port = free_port()
    billing_settings = test_env.settings(
        BillingSettings, http_port=port, stub_webhook_url=f"http://127.0.0.1:{port}/webhooks/provider",
        stub_confirm_delay_s=0.05, jwt_public_key=ISSUER.public_pem, payout_scheduler_enabled=False,
    )
    booking_settings = test_env.settings(BookingSettings, jwt_public_key=ISSUER.public_pem, hold_minutes=HOLD_MINUTES,
                                         hold_sweep_interval_s=0.2, database_pool_size=10)
    async with running_service(build_billing(billing_settings), test_env, http=True) as billing, \
            running_service(build_booking(booking_settings), test_env) as booking:
        yield booking, billing


class People:
    def __init__(self) -> None:
        self.therapist = uuid.uuid4()
        self.client = uuid.uuid4()
        self.authorised = False

    def as_therapist(self):
        return ISSUER.headers(self.therapist, "therapist")

    def as_client(self, client=None):
        return ISSUER.headers(client or self.client, "client")


async def new_slot(booking, people: People, *, starts_in: timedelta = timedelta(days=3), **extra) -> dict:
    if not people.authorised:
        await authorised_therapist(booking.client, ISSUER, therapist_id=people.therapist)
        people.authorised = True
    starts_at = (datetime.now(UTC) + starts_in).replace(microsecond=0)
    body = {"starts_at": starts_at.isoformat(), "price_minor": 95000, "currency": "SEK", "video": True, **extra}
    response = await booking.client.post("/slots", json=body, headers=people.as_therapist())
    assert response.status_code == 201, response.text
    return response.json()


async def booking_status(booking, people, booking_id, status) -> dict:
    async def check():
        body = (await booking.client.get(f"/bookings/{booking_id}", headers=people.as_client())).json()
        return body if body["status"] == status else None

    return await wait_for(check, timeout=15, what=f"booking {status}")


async def payment_of(billing, people, booking_id) -> dict:
    async def get():
        response = await billing.client.get(f"/payments/by-booking/{booking_id}", headers=people.as_client())
        return response.json() if response.status_code == 200 else None

    return await wait_for(get, what="the payment")


async def paid_booking(platform, people, **slot) -> dict:
    booking, billing = platform
    created = await new_slot(booking, people, **slot)
    reserved = await booking.client.post(f"/slots/{created['id']}/reservations", headers=people.as_client())
    assert reserved.status_code == 201, reserved.text
    payment = await payment_of(billing, people, reserved.json()["id"])
    paid = await billing.client.post(f"/payments/{payment['id']}/pay", json={"payment_method": "stub_card_ok"},
                                     headers=people.as_client())
    assert paid.status_code == 202
    return await booking_status(booking, people, reserved.json()["id"], "confirmed")


async def test_reserve_pay_and_the_booking_is_confirmed(platform):
    booking, billing = platform
    people = People()
    slot = await new_slot(booking, people)
    headers = people.as_client() | {"Idempotency-Key": "reserve-1"}
    reserved = await booking.client.post(f"/slots/{slot['id']}/reservations", headers=headers)
    retried = await booking.client.post(f"/slots/{slot['id']}/reservations", headers=headers)
    assert reserved.status_code == retried.status_code == 201
    assert retried.json()["id"] == reserved.json()["id"]
    assert reserved.json()["status"] == "pending_payment"

    payment = await payment_of(billing, people, reserved.json()["id"])
    assert payment["amount"] == {"amount_minor": 95000, "currency": "SEK"}
    pay = await billing.client.post(f"/payments/{payment['id']}/pay", json={"payment_method": "stub_card_ok"},
                                    headers=people.as_client() | {"Idempotency-Key": "pay-1"})
    assert pay.status_code == 202
    confirmed = await booking_status(booking, people, reserved.json()["id"], "confirmed")
    assert confirmed["hold_expires_at"] is not None

    week = (datetime.fromisoformat(slot["starts_at"])).strftime("%G-W%V")
    calendar = (await booking.client.get(f"/calendar/week/{week}", headers=people.as_therapist())).json()
    entry = next(e for e in calendar["entries"] if e["slot"]["id"] == slot["id"])
    assert entry["slot"]["status"] == "booked" and entry["booking_status"] == "confirmed"
    assert entry["client_id"] == str(people.client)


async def test_the_confirmation_carries_the_reception_address_the_note_and_the_time_zone(platform, test_env):
    """BK-15: what the confirmation mails are made of comes from the therapist's profile: the reception
    address of an on-site session, the personal information for clients (door code) and the time zone; the
    cancellation and the refund carry the time zone and the session, so their mails show its time there."""
    booking, _ = platform
    people = People()
    await authorised_therapist(booking.client, ISSUER, therapist_id=people.therapist)
    people.authorised = True
    profile = await booking.client.put("/therapists/me/profile", headers=people.as_therapist(), json={
        "personal_information": "Portkod 4711, andra våningen", "time_zone": "Europe/Oslo"})
    assert profile.status_code == 200, profile.text
    reception = await booking.client.put("/therapists/me/reception", headers=people.as_therapist(), json={
        "video": False, "on_site": True, "address": "Exempelgatan 1, 411 01 Göteborg"})
    assert reception.status_code == 200, reception.text
    async with probe(test_env, "booking.booking_confirmed.v1", "booking.booking_cancelled.v1",
                     "billing.payment_refunded.v1") as events:
        confirmed = await paid_booking(platform, people, video=False, on_site=True)
        await booking.client.post(f"/bookings/{confirmed['id']}/cancel", headers=people.as_client())  # 3 days before
        payloads = {}
        while len(payloads) < 3:
            message = json.loads((await events.next()).body)
            if message["payload"]["booking_id"] == confirmed["id"]:
                payloads[message["event_type"]] = message["payload"]
    sent = payloads["booking.booking_confirmed.v1"]
    assert (sent["address"], sent["therapist_note"], sent["time_zone"]) == (
        "Exempelgatan 1, 411 01 Göteborg", "Portkod 4711, andra våningen", "Europe/Oslo")
    assert payloads["booking.booking_cancelled.v1"]["time_zone"] == "Europe/Oslo"
    refunded = payloads["billing.payment_refunded.v1"]  # the refund mail names the session, in the therapist's zone
    assert (refunded["time_zone"], datetime.fromisoformat(refunded["starts_at"])) == (
        "Europe/Oslo", datetime.fromisoformat(confirmed["starts_at"]))


async def test_the_week_is_the_therapists_own_week_in_their_time_zone(platform):
    booking, _ = platform
    people = People()
    await authorised_therapist(booking.client, ISSUER, therapist_id=people.therapist)
    people.authorised = True
    saved = await booking.client.put("/therapists/me/profile", headers=people.as_therapist(),
                                     json={"time_zone": "Pacific/Auckland"})
    assert saved.status_code == 200, saved.text
    auckland = ZoneInfo("Pacific/Auckland")
    today = datetime.now(auckland).date()
    monday = today + timedelta(days=7 - today.weekday())  # next Monday, 08:00 in Auckland: Sunday evening in Europe
    starts_at = datetime.combine(monday, time(8), auckland)
    slot = (await booking.client.post("/slots", headers=people.as_therapist(), json={
        "starts_at": starts_at.isoformat(), "price_minor": 95000, "currency": "NZD", "video": True})).json()
    week = monday.strftime("%G-W%V")

    own = (await booking.client.get(f"/calendar/week/{week}", headers=people.as_therapist())).json()
    assert own["time_zone"] == "Pacific/Auckland" and slot["id"] in [e["slot"]["id"] for e in own["entries"]]
    stockholm = (await booking.client.get(f"/calendar/week/{week}", headers=people.as_therapist(),
                                          params={"tz": "Europe/Stockholm"})).json()
    assert slot["id"] not in [e["slot"]["id"] for e in stockholm["entries"]]  # in Stockholm it is the week before


async def test_an_unpaid_hold_expires_frees_the_slot_and_voids_the_payment(platform):
    booking, billing = platform
    people = People()
    slot = await new_slot(booking, people)
    reserved = (await booking.client.post(f"/slots/{slot['id']}/reservations", headers=people.as_client())).json()
    await payment_of(billing, people, reserved["id"])
    await booking_status(booking, people, reserved["id"], "expired")

    async def voided():
        return (await payment_of(billing, people, reserved["id"]))["status"] == "voided"

    await wait_for(voided, what="the payment to be voided")
    again = await booking.client.post(f"/slots/{slot['id']}/reservations", headers=people.as_client(uuid.uuid4()))
    assert again.status_code == 201  # the slot was free again


async def test_200_clients_race_for_one_slot_and_exactly_one_wins(platform):
    booking, _ = platform
    people = People()
    slot = await new_slot(booking, people)
    clients = [uuid.uuid4() for _ in range(200)]
    responses = await asyncio.gather(*(
        booking.client.post(f"/slots/{slot['id']}/reservations", headers=people.as_client(c)) for c in clients
    ))
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 1
    assert statuses.count(409) == 199
    assert all(r.json()["type"] == "/problems/slot-not-available" for r in responses if r.status_code == 409)


@pytest.mark.parametrize(("who", "starts_in", "refunded"), [
    ("client", timedelta(days=3), True),      # more than 24 hours before the start: full refund
    ("client", timedelta(hours=5), False),    # 24 hours or less before the start: the fee is kept
    ("therapist", timedelta(hours=5), True),  # the therapist cancels: full refund
])
async def test_cancellation_matrix(platform, who, starts_in, refunded):
    booking, billing = platform
    people = People()
    confirmed = await paid_booking(platform, people, starts_in=starts_in)
    headers = people.as_client() if who == "client" else people.as_therapist()
    response = await booking.client.post(f"/bookings/{confirmed['id']}/cancel", headers=headers)
    assert response.status_code == 200
    assert response.json()["refund"] is refunded and response.json()["therapist_paid"] is (not refunded)
    assert response.json()["rule"] == {("client", True): "more than 24 hours before the start: full refund",
                                       ("client", False): "24 hours or less before the start: the fee is kept",
                                       ("therapist", True): "therapist cancelled: full refund"}[(who, refunded)]

    async def settled():
        payment = await payment_of(billing, people, confirmed["id"])
        return payment["status"] == ("refunded" if refunded else "captured") and payment

    payment = await wait_for(settled, what="billing to settle the cancellation")
    if not refunded:
        assert (await booking.client.post(f"/bookings/{confirmed['id']}/cancel", headers=headers)).status_code == 409
    movements = (await billing.client.get(f"/payments/{payment['id']}/movements", headers=people.as_client())).json()
    assert sorted(m["kind"] for m in movements) == (["capture", "refund"] if refunded else ["capture"])


async def test_slot_rules(platform):
    booking, _ = platform
    people = People()
    first = await new_slot(booking, people, starts_in=timedelta(days=5))
    start = datetime.fromisoformat(first["starts_at"])
    overlap = await booking.client.post("/slots", headers=people.as_therapist(), json={
        "starts_at": (start + timedelta(minutes=30)).isoformat(), "price_minor": 1, "video": True})
    assert overlap.status_code == 409 and overlap.json()["type"] == "/problems/slot-overlaps"
    adjacent = await booking.client.post("/slots", headers=people.as_therapist(), json={
        "starts_at": (start + timedelta(minutes=45)).isoformat(), "price_minor": 1, "video": True})
    assert adjacent.status_code == 201  # ends and starts may touch
    resized = await booking.client.patch(f"/slots/{first['id']}", json={"length_minutes": 60}, headers=people.as_therapist())
    assert resized.status_code == 409  # would now overlap the adjacent one
    moved = await booking.client.patch(f"/slots/{first['id']}", json={"starts_at": (start + timedelta(days=1)).isoformat(),
                                                                       "length_minutes": 60}, headers=people.as_therapist())
    assert moved.status_code == 200 and moved.json()["ends_at"] != first["ends_at"]
    _, other_therapist = await authorised_therapist(booking.client, ISSUER)
    someone_else = await booking.client.delete(f"/slots/{first['id']}", headers=other_therapist)
    assert someone_else.status_code == 404
    unauthorised = await booking.client.delete(f"/slots/{first['id']}", headers=ISSUER.headers(uuid.uuid4(), "therapist"))
    assert unauthorised.status_code == 403
    past = await booking.client.post("/slots", headers=people.as_therapist(), json={
        "starts_at": "2020-01-01T09:00:00+01:00", "price_minor": 1, "video": True})
    assert past.status_code == 422
    naive = await booking.client.post("/slots", headers=people.as_therapist(), json={
        "starts_at": "2030-01-01T09:00:00", "price_minor": 1, "video": True})
    assert naive.status_code == 422 and "offset" in naive.json()["detail"]
    neither = await booking.client.post("/slots", headers=people.as_therapist(), json={
        "starts_at": "2030-01-01T09:00:00+01:00", "price_minor": 1, "video": False, "on_site": False})
    assert neither.status_code == 422
    assert (await booking.client.delete(f"/slots/{first['id']}", headers=people.as_therapist())).status_code == 204


async def test_booked_slot_cannot_be_deleted_and_strangers_cannot_cancel(platform):
    booking, _ = platform
    people = People()
    confirmed = await paid_booking(platform, people)
    assert (await booking.client.delete(f"/slots/{confirmed['slot_id']}", headers=people.as_therapist())).status_code == 409
    stranger = await booking.client.post(f"/bookings/{confirmed['id']}/cancel", headers=people.as_client(uuid.uuid4()))
    assert stranger.status_code == 404


async def test_therapist_books_for_a_client_paid_outside(platform):
    """BK-16, for the therapist's own clients only (issue 18): someone else's client is a 403."""
    booking, _ = platform
    people = People()
    first = await paid_booking(platform, people)  # the client is on the therapist's list now
    slot = await new_slot(booking, people, starts_in=timedelta(days=4))
    stranger = await booking.client.post(f"/slots/{slot['id']}/bookings", headers=people.as_therapist(),
                                         json={"client_id": str(uuid.uuid4()), "payment": "paid_outside"})
    assert stranger.status_code == 403 and "not one of your clients" in stranger.json()["detail"]
    response = await booking.client.post(f"/slots/{slot['id']}/bookings", headers=people.as_therapist(),
                                         json={"client_id": str(people.client), "payment": "paid_outside"})
    assert response.status_code == 201 and response.json()["status"] == "confirmed"
    mine = (await booking.client.get("/bookings", headers=people.as_client())).json()
    assert [b["id"] for b in mine] == [response.json()["id"], first["id"]]  # newest first


async def test_calendar_feed_is_secret_and_revocable(platform):
    booking, _ = platform
    people = People()
    confirmed = await paid_booking(platform, people)
    url = (await booking.client.post("/calendar/feed", headers=people.as_therapist())).json()["url"]
    path = "/calendar/feed/" + url.rsplit("/calendar/feed/", 1)[1]
    feed = await booking.client.get(path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert f"UID:{confirmed['id']}@care-platform" in feed.text and "BEGIN:VEVENT" in feed.text
    assert str(people.client) not in feed.text
    assert (await booking.client.delete("/calendar/feed", headers=people.as_therapist())).status_code == 204
    assert (await booking.client.get(path)).status_code == 404
    assert (await booking.client.get("/calendar/feed/guessing.ics")).status_code == 404


async def test_a_client_waits_for_the_payment_and_the_confirmation_instead_of_polling(platform):
    booking, billing = platform
    people = People()
    slot = await new_slot(booking, people)
    reserved = (await booking.client.post(f"/slots/{slot['id']}/reservations", headers=people.as_client())).json()
    # one request each: answered when billing has created the payment, and when its webhook has confirmed
    payment = await billing.client.get(f"/payments/by-booking/{reserved['id']}", params={"wait": 20},
                                       headers=people.as_client())
    assert payment.status_code == 200, payment.text
    paid = await billing.client.post(f"/payments/{payment.json()['id']}/pay", json={"payment_method": "stub_card_ok"},
                                     headers=people.as_client())
    assert paid.status_code == 202
    confirmed = await booking.client.get(f"/bookings/{reserved['id']}", headers=people.as_client(),
                                         params={"changed_from": "pending_payment", "wait": 20})
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"

    # a status that has already moved on answers at once; one that does not change answers at the end of the wait
    at_once = await booking.client.get(f"/bookings/{reserved['id']}", headers=people.as_client(),
                                       params={"changed_from": "pending_payment", "wait": 20})
    assert at_once.json()["status"] == "confirmed"
    unchanged = await booking.client.get(f"/bookings/{reserved['id']}", headers=people.as_client(),
                                         params={"changed_from": "confirmed", "wait": 0.3})
    assert unchanged.status_code == 200 and unchanged.json()["status"] == "confirmed"
    assert (await billing.client.get(f"/payments/by-booking/{uuid.uuid4()}", params={"wait": 0.3},
                                     headers=people.as_client())).status_code == 404
    # nobody else's booking or payment, waiting or not
    stranger = people.as_client(uuid.uuid4())
    assert (await booking.client.get(f"/bookings/{reserved['id']}", headers=stranger,
                                     params={"changed_from": "confirmed", "wait": 5})).status_code == 404
    assert (await billing.client.get(f"/payments/by-booking/{reserved['id']}", params={"wait": 5},
                                     headers=stranger)).status_code == 404
    too_long = await booking.client.get(f"/bookings/{reserved['id']}", headers=people.as_client(),
                                        params={"changed_from": "confirmed", "wait": 600})
    assert too_long.status_code == 422 and "wait" in too_long.json()["detail"]


async def test_waiting_requests_hold_no_database_connection(platform):
    booking, _ = platform
    people = People()
    slot = await new_slot(booking, people)
    reserved = (await booking.client.post(f"/slots/{slot['id']}/reservations", headers=people.as_client())).json()
    # more waiters than booking's pool has connections (10 + 10 overflow)
    waiters = [asyncio.create_task(booking.client.get(
        f"/bookings/{reserved['id']}", headers=people.as_client(), params={"changed_from": "pending_payment", "wait": 20}))
        for _ in range(40)]
    listed = await booking.client.get("/bookings", headers=people.as_client())
    assert listed.status_code == 200 and [b["id"] for b in listed.json()] == [reserved["id"]]
    assert not any(w.done() for w in waiters)  # still waiting, and the list above was served meanwhile
    cancelled = await booking.client.post(f"/bookings/{reserved['id']}/cancel", headers=people.as_client())
    assert cancelled.status_code == 200, cancelled.text
    answers = await asyncio.gather(*waiters)
    assert {a.json()["status"] for a in answers} == {"cancelled"}  # every waiter woke on the change
