"""Payments through the billing service with real PostgreSQL, RabbitMQ and HTTP webhooks from the stub."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from billing.adapters import payment_provider
from contracts.booking.v1 import BookingCancelled, BookingHoldExpired
from kit.testing import fetch, probe, publish, wait_for


async def test_requested_booking_is_paid_and_captured(test_env, billing, saga, issuer):
    booking = saga.requested()
    async with probe(test_env, "billing.payment_created.v1", "billing.payment_captured.v1") as events:
        await publish(test_env, booking)
        created = json.loads((await events.next()).body)
        assert created["event_type"] == "billing.payment_created.v1"
        assert created["payload"]["booking_id"] == str(booking.booking_id)

        response = await saga.pay(booking, key="pay-1")
        assert response.status_code == 202 and response.json()["status"] == "processing"
        replay = await saga.pay(booking, key="pay-1")
        assert replay.status_code == 202 and replay.headers["idempotent-replayed"] == "true"

        captured = json.loads((await events.next()).body)
        assert captured["event_type"] == "billing.payment_captured.v1"
        assert captured["payload"]["amount"] == {"amount_minor": 95000, "currency": "SEK"}
        assert captured["correlation_id"] == created["correlation_id"]  # one saga, one correlation id
    assert (await saga.payment_of(booking))["status"] == "captured"
    assert [(m["kind"], m["amount_minor"]) for m in await saga.movements(booking)] == [("capture", 95000)]

    again = await saga.pay(booking, key="pay-2")
    assert again.status_code == 409 and again.json()["type"] == "/problems/payment-not-payable"


class CountingProvider:
    """The running stub provider, counting the confirmations it is asked for."""

    def __init__(self, provider) -> None:  # noqa: ANN001
        self.provider, self.confirmed = provider, []

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self.provider, name)

    async def confirm_payment(self, payment_id: str, *, payment_method: str):  # noqa: ANN201
        self.confirmed.append(payment_id)
        await asyncio.sleep(0.1)  # widen the window in which concurrent retries overlap
        return await self.provider.confirm_payment(payment_id, payment_method=payment_method)


async def test_concurrent_pays_with_one_key_ask_the_provider_once(billing, test_env, saga, issuer):
    booking = saga.requested()
    await publish(test_env, booking)
    payment = await saga.payment_of(booking)
    provider = billing.app.state.provider = CountingProvider(billing.app.state.provider)
    try:
        responses = await asyncio.gather(saga.pay(booking, key="race"), saga.pay(booking, key="race"))
    finally:
        billing.app.state.provider = provider.provider
    assert [r.status_code for r in responses] == [202, 202]
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 1
    assert provider.confirmed == [(await fetch(billing.settings, "SELECT provider_payment_id FROM payments WHERE id = $1",
                                               uuid.UUID(payment["id"])))[0][0]]
    await saga.status_becomes(booking, "captured")
    assert [m["kind"] for m in await saga.movements(booking)] == ["capture"]


async def test_a_refused_pay_leaves_its_key_free(billing, test_env, saga, issuer):
    booking = saga.requested()
    await publish(test_env, booking)
    refused = await saga.pay(booking, method="bitcoin", key="fix-and-retry")
    corrected = await saga.pay(booking, key="fix-and-retry")
    assert refused.status_code == 422 and refused.json()["type"] == "/problems/payment-refused"
    assert corrected.status_code == 202 and "idempotent-replayed" not in corrected.headers
    await saga.status_becomes(booking, "captured")


async def test_declined_card_fails_and_can_be_retried(billing, test_env, saga, issuer):
    booking = saga.requested()
    await publish(test_env, booking)
    assert (await saga.pay(booking, method="stub_card_declined")).status_code == 202
    failed = await saga.status_becomes(booking, "failed")
    assert failed["failure_reason"] == "card_declined"
    assert (await saga.pay(booking)).status_code == 202
    await saga.status_becomes(booking, "captured")


async def test_only_the_client_pays_and_others_cannot_see_the_payment(billing, test_env, saga, issuer):
    booking = saga.requested()
    await publish(test_env, booking)
    payment = await saga.payment_of(booking)
    stranger = issuer.headers(uuid.uuid4(), "client")
    assert (await billing.client.get(f"/payments/{payment['id']}", headers=stranger)).status_code == 404
    response = await billing.client.post(f"/payments/{payment['id']}/pay", json={"payment_method": "stub_card_ok"}, headers=stranger)
    assert response.status_code == 404  # someone else's payment answers as a missing one
    therapist = issuer.headers(booking.therapist_id, "therapist")
    assert (await billing.client.get(f"/payments/{payment['id']}", headers=therapist)).status_code == 200
    assert (await billing.client.get(f"/payments/{payment['id']}")).status_code == 401
    unknown = await billing.client.post(f"/payments/{payment['id']}/pay", json={"payment_method": "bitcoin"},
                                        headers=issuer.headers(booking.client_id, "client"))
    assert unknown.status_code == 422 and "unknown payment method" in unknown.json()["detail"]


async def test_expired_hold_voids_the_payment_and_paying_is_refused(billing, test_env, saga, issuer):
    booking = saga.requested()
    async with probe(test_env, "billing.payment_voided.v1") as events:
        await publish(test_env, booking)
        await saga.payment_of(booking)
        await publish(test_env, BookingHoldExpired(booking_id=booking.booking_id))
        voided = json.loads((await events.next()).body)
    assert voided["payload"]["booking_id"] == str(booking.booking_id)
    assert (await saga.payment_of(booking))["status"] == "voided"
    response = await saga.pay(booking)
    assert response.status_code == 409
    assert await saga.movements(booking) == []


async def test_capture_after_the_hold_expired_is_refunded_at_once(billing, test_env, saga, issuer):
    booking = saga.requested()
    async with probe(test_env, "billing.payment_refunded.v1") as events:
        await publish(test_env, booking)
        await saga.pay(booking)  # processing: the provider will report success shortly
        await publish(test_env, BookingHoldExpired(booking_id=booking.booking_id))
        refunded = json.loads((await events.next()).body)
    assert refunded["payload"]["reason"] in ("captured_after_void", "hold_expired")
    assert sorted(m["kind"] for m in await saga.movements(booking)) == ["capture", "refund"]


@pytest.mark.parametrize(("cancelled_by", "refund", "kinds"), [
    ("client", True, ["capture", "refund"]),     # more than 24 h before: full refund
    ("client", False, ["capture"]),             # within 24 h: the fee is kept
    ("therapist", True, ["capture", "refund"]),  # the therapist cancels: full refund
])
async def test_cancellation_moves_money_as_booking_decided(billing, test_env, saga, issuer, cancelled_by, refund, kinds):
    booking = saga.requested()
    await publish(test_env, booking)
    await saga.pay(booking)
    await saga.status_becomes(booking, "captured")
    cancelled = BookingCancelled(booking_id=booking.booking_id, therapist_id=booking.therapist_id, client_id=booking.client_id,
                                 starts_at=booking.starts_at, cancelled_by=cancelled_by, refund=refund, therapist_paid=not refund)
    await publish(test_env, cancelled)
    await publish(test_env, cancelled)  # a second delivery of the same decision moves nothing more
    if refund:
        paid_back = await saga.status_becomes(booking, "refunded")
        assert paid_back["refund_reason"] == f"cancelled_by_{cancelled_by}"
    else:
        await wait_for(lambda: _inbox_has(billing, cancelled), what="the cancellation to be handled")
        assert (await saga.payment_of(booking))["status"] == "captured"
    assert sorted(m["kind"] for m in await saga.movements(booking)) == kinds


async def _inbox_has(billing, event) -> bool:
    rows = await fetch(billing.settings, "SELECT count(*) AS n FROM inbox WHERE event_type = $1", event.event_type)
    return rows[0]["n"] > 0


async def test_forged_stale_and_redelivered_webhooks(billing, test_env, saga, issuer):
    booking = saga.requested()
    await publish(test_env, booking)
    payment = await saga.payment_of(booking)
    provider_id = (await fetch(billing.settings, "SELECT provider_payment_id FROM payments WHERE id = $1", uuid.UUID(payment["id"])))[0][0]
    secret = billing.settings.provider_webhook_secret.get_secret_value()
    event = {"id": "evt_test_forged", "type": "payment.succeeded", "data": {"payment_id": provider_id, "amount_minor": 95000}}
    body = json.dumps(event).encode()

    forged = await billing.client.post("/webhooks/provider", content=body, headers={payment_provider.HEADER: payment_provider.sign("guess", body)})
    assert forged.status_code == 400 and forged.json()["type"] == "/problems/webhook-signature-invalid"
    stale = await billing.client.post("/webhooks/provider", content=body,
                                      headers={payment_provider.HEADER: payment_provider.sign(secret, body, timestamp=1_000_000)})
    assert stale.status_code == 400 and "old" in stale.json()["detail"]
    unsigned = await billing.client.post("/webhooks/provider", content=body)
    assert unsigned.status_code == 400
    assert (await saga.payment_of(booking))["status"] == "pending"  # none of them moved money

    good = {payment_provider.HEADER: payment_provider.sign(secret, body)}
    first = await billing.client.post("/webhooks/provider", content=body, headers=good)
    again = await billing.client.post("/webhooks/provider", content=body, headers={payment_provider.HEADER: payment_provider.sign(secret, body)})
    assert first.json() == {"status": "processed"} and again.json() == {"status": "already processed"}
    assert [m["kind"] for m in await saga.movements(booking)] == ["capture"]


async def test_money_movements_cannot_be_changed(billing, test_env, saga, issuer):
    booking = saga.requested()
    await publish(test_env, booking)
    await saga.pay(booking)
    await saga.status_becomes(booking, "captured")
    import asyncpg

    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match="append-only"):
        await fetch(billing.settings, "UPDATE money_movements SET amount_minor = 1")
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError, match="append-only"):
        await fetch(billing.settings, "DELETE FROM money_movements")
