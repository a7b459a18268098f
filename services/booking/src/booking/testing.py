"""Test support: an authorised therapist, made the way a real one is (application, then an admin's review
against the development licence register), and a client's paid booking through the gateway. Used by
tests, benchmarks and the chaos suite."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from kit.testing.tokens import TokenIssuer

VALID_LICENCE = "PSY-100001"


async def authorised_therapist(client: httpx.AsyncClient, issuer: TokenIssuer, *, prefix: str = "",
                               therapist_id: uuid.UUID | None = None, name: str = "Test Terapeut") -> tuple[uuid.UUID, dict[str, str]]:
    """Apply and get authorised; returns the therapist's id and request headers."""
    therapist_id = therapist_id or uuid.uuid4()
    headers = issuer.headers(therapist_id, "therapist")
    applied = await client.post(f"{prefix}/therapists/application", headers=headers, json={
        "name": name, "email": f"{therapist_id.hex[:8]}@example.org", "licence_number": VALID_LICENCE,
        "agreement_version": "2026-01"})
    assert applied.status_code == 201, applied.text
    reviewed = await client.post(f"{prefix}/admin/applications/{therapist_id}/review",
                                 headers=issuer.headers(uuid.uuid4(), "admin"), json={"decision": "authorise"})
    assert reviewed.status_code == 200, reviewed.text
    return therapist_id, headers



@dataclass
class PaidBooking:
    """One client's paid booking through the gateway, as a front-end makes it; the times are
    ``time.perf_counter()`` readings (``None``: the step was not reached). ``refused`` names the answer
    that ended the flow early (e.g. ``"pay 409"``)."""
    started: float
    booking_id: str | None = None
    payment_id: str | None = None
    payment_ready: float | None = None
    paid: float | None = None
    confirmed: float | None = None
    refused: str | None = None


class Reply(Protocol):
    status_code: int

    def json(self) -> Any: ...


#: ``call(method, url, *, waits=False, headers=..., params=..., json=...)``: how the caller sends a request
#: (timed, counted, retried: that is its business) and what it got back
Call = Callable[..., Awaitable[Reply]]


async def paid_booking(call: Call, client: dict[str, str], slot_id: str, *, poll: float | None = None,
                       wait_s: float = 20, flow: PaidBooking | None = None) -> PaidBooking:
    """The whole flow on ``slot_id`` through the gateway (``/api/booking``, ``/api/billing``): reserve
    with an Idempotency-Key → wait for billing's payment → pay with an Idempotency-Key → wait until booking
    confirms (the provider stub's signed webhook → billing → event → booking). It waits as a front-end
    does, one ``?wait=`` request per step answered when the change commits, or with ``poll`` it asks every
    ``poll`` seconds. A caller that retries must resend the same request: the keys make that safe. A
    caller that may give up on the flow passes its own ``flow`` to see how far it got."""
    waiting = {} if poll else {"wait": wait_s}
    flow = flow or PaidBooking(time.perf_counter())
    reserved = await call("POST", f"/api/booking/slots/{slot_id}/reservations",
                          headers=client | {"Idempotency-Key": uuid.uuid4().hex})
    if reserved.status_code != 201:
        flow.refused = f"reserve {reserved.status_code}"
        return flow
    flow.booking_id = reserved.json()["id"]
    while True:
        payment = await call("GET", f"/api/billing/payments/by-booking/{flow.booking_id}", headers=client,
                             params=waiting, waits=not poll)
        if payment.status_code == 200:
            break
        await asyncio.sleep(poll or 0)
    flow.payment_id, flow.payment_ready = payment.json()["id"], time.perf_counter()
    paid = await call("POST", f"/api/billing/payments/{flow.payment_id}/pay",
                      headers=client | {"Idempotency-Key": uuid.uuid4().hex}, json={"payment_method": "stub_card_ok"})
    if paid.status_code != 202:
        flow.refused = f"pay {paid.status_code}"
        return flow
    flow.paid = time.perf_counter()
    while True:
        booking = await call("GET", f"/api/booking/bookings/{flow.booking_id}", headers=client,
                             params=waiting and {**waiting, "changed_from": "pending_payment"}, waits=not poll)
        status = booking.json().get("status") if booking.status_code == 200 else None
        if status == "confirmed":
            flow.confirmed = time.perf_counter()
            return flow
        if status not in (None, "pending_payment"):  # expired or cancelled: it will not be confirmed
            flow.refused = f"booking {status}"
            return flow
        await asyncio.sleep(poll or 0)
