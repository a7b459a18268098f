"""Billing's fixtures: one running billing service (real HTTP, for the provider's webhooks) and a client
helper that plays booking (publishing its events) and the paying client."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from billing.app import build
from billing.settings import Settings
from contracts.booking.v1 import BookingRequested
from contracts.money import Money
from kit.testing import free_port, publish, running_service, wait_for
from kit.testing.tokens import TokenIssuer


@pytest.fixture(scope="session")
def issuer() -> TokenIssuer:
    return TokenIssuer()


@pytest.fixture(scope="session")
async def billing(test_env, issuer):
    port = free_port()
    settings = test_env.settings(
        Settings,
        http_port=port,
        stub_webhook_url=f"http://127.0.0.1:{port}/webhooks/provider",
        stub_confirm_delay_s=0.05,
        jwt_public_key=issuer.public_pem,
        payout_scheduler_enabled=False,  # tests drive run_if_due with their own clock
    )
    async with running_service(build(settings), test_env, http=True) as svc:
        yield svc


class Saga:
    """Plays booking and the client against the running billing service."""

    def __init__(self, test_env, billing, issuer: TokenIssuer) -> None:
        self.env, self.billing, self.issuer = test_env, billing, issuer

    def requested(self, *, therapist_id=None, starts_at=None, fee=95000, hold_minutes=10.0) -> BookingRequested:
        now = datetime.now(UTC)
        return BookingRequested(
            booking_id=uuid.uuid4(), slot_id=uuid.uuid4(), therapist_id=therapist_id or uuid.uuid4(),
            client_id=uuid.uuid4(), starts_at=starts_at or now + timedelta(days=3),
            price=Money(amount_minor=fee, currency="SEK"), hold_expires_at=now + timedelta(minutes=hold_minutes),
        )

    async def payment_of(self, booking: BookingRequested) -> dict:
        headers = self.issuer.headers(booking.client_id, "client")

        async def get():
            response = await self.billing.client.get(f"/payments/by-booking/{booking.booking_id}", headers=headers)
            return response.json() if response.status_code == 200 else None

        return await wait_for(get, what="billing to create the payment")

    async def pay(self, booking, method="stub_card_ok", key=None):
        payment = await self.payment_of(booking)
        headers = self.issuer.headers(booking.client_id, "client") | ({"Idempotency-Key": key} if key else {})
        return await self.billing.client.post(
            f"/payments/{payment['id']}/pay", json={"payment_method": method}, headers=headers
        )

    async def status_becomes(self, booking, status: str) -> dict:
        async def check():
            payment = await self.payment_of(booking)
            return payment if payment["status"] == status else None

        return await wait_for(check, what=f"payment status {status}")

    async def paid_booking(self, **kwargs) -> BookingRequested:
        booking = self.requested(**kwargs)
        await publish(self.env, booking)
        await self.pay(booking)
        await self.status_becomes(booking, "captured")
        return booking

    async def movements(self, booking) -> list[dict]:
        payment = await self.payment_of(booking)
        response = await self.billing.client.get(
            f"/payments/{payment['id']}/movements", headers=self.issuer.headers(booking.client_id, "client")
        )
        return response.json()


@pytest.fixture
def saga(test_env, billing, issuer) -> Saga:
    return Saga(test_env, billing, issuer)
