"""Issue 20, point 4: billing dies between the provider's charge and its own commit; the retry with the same
Idempotency-Key still gets its 202 (the payment as it is now, ``Idempotent-Replayed``), and the payment is
captured once. Billing runs as a real process, killed at that moment by its test-only fault injection
(``BILLING_CRASH_AFTER_PROVIDER_CALL``, honoured in the test environment only)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from billing.app import ROOT as BILLING_ROOT
from billing.settings import Settings as BillingSettings
from billing.subscribers import consumers
from contracts.booking.v1 import BookingRequested
from contracts.money import Money
from kit import migrations
from kit.testing import fetch, free_port, publish, terminate, wait_for
from kit.testing.tokens import TokenIssuer

ISSUER = TokenIssuer()


class Billing:
    """billing as a real process, started with the settings of one phase of the test."""

    def __init__(self, test_env) -> None:
        self.env = test_env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def settings(self, **overrides) -> BillingSettings:
        return self.env.settings(BillingSettings, database="billing_crash", jwt_public_key=ISSUER.public_pem,
                                 http_port=self.port, payout_scheduler_enabled=False, rent_run_enabled=False,
                                 stub_webhook_url=f"{self.url}/webhooks/provider", **overrides)

    async def start(self, **overrides) -> None:
        settings = self.settings(**overrides)
        self.process = subprocess.Popen([sys.executable, "-m", "billing"], env=self.env.env(settings, "BILLING_"))
        await wait_for(self.ready, timeout=60, what="billing to be ready")

    async def ready(self) -> bool:
        try:
            async with httpx.AsyncClient(timeout=1) as client:
                return (await client.get(f"{self.url}/health/ready")).status_code == 200
        except httpx.HTTPError:
            return False

    async def exit_code(self) -> int:
        assert self.process is not None
        return await asyncio.to_thread(self.process.wait, 20)


@pytest.fixture
async def billing(test_env):
    billing = Billing(test_env)
    settings = billing.settings()
    test_env.track_queues(list(consumers.bindings(settings)))
    await migrations.upgrade(BILLING_ROOT, settings.database_url)
    yield billing
    if billing.process is not None:
        terminate(billing.process)


@pytest.mark.slow
async def test_pay_retried_after_billing_died_past_the_charge_gets_its_202(test_env, billing):
    await billing.start(crash_after_provider_call=True)
    now = datetime.now(UTC)
    booking = BookingRequested(booking_id=uuid.uuid4(), slot_id=uuid.uuid4(), therapist_id=uuid.uuid4(),
                               client_id=uuid.uuid4(), starts_at=now + timedelta(days=3),
                               price=Money(amount_minor=95000, currency="SEK"), hold_expires_at=now + timedelta(minutes=10))
    client = ISSUER.headers(booking.client_id, "client")
    pay = {"payment_method": "stub_card_ok"}
    key = client | {"Idempotency-Key": "pay-after-crash"}
    async with httpx.AsyncClient(base_url=billing.url, timeout=10) as http:
        await publish(test_env, booking)

        async def payment() -> dict | None:
            try:
                response = await http.get(f"/payments/by-booking/{booking.booking_id}", headers=client)
            except httpx.HTTPError:
                return None
            return response.json() if response.status_code == 200 else None

        created = await wait_for(payment, timeout=30, what="billing to create the payment")

        # the provider takes the charge; billing dies before it commits, the client gets no answer
        with pytest.raises(httpx.HTTPError):
            await http.post(f"/payments/{created['id']}/pay", json=pay, headers=key)
        assert await billing.exit_code() == 137

        # billing comes back; the provider's webhook captures the payment
        await billing.start()
        captured = await wait_for(lambda: _with_status(payment, "captured"), timeout=30, what="the capture")

        retried = await http.post(f"/payments/{created['id']}/pay", json=pay, headers=key)
        again = await http.post(f"/payments/{created['id']}/pay", json=pay, headers=key)
        other_body = await http.post(f"/payments/{created['id']}/pay", json={"payment_method": "stub_card_declined"},
                                     headers=key)
        movements = (await http.get(f"/payments/{created['id']}/movements", headers=client)).json()

    assert retried.status_code == 202, retried.text
    assert retried.headers["idempotent-replayed"] == "true"
    assert retried.json()["status"] == "captured" and retried.json()["id"] == captured["id"]
    assert again.status_code == 202 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == retried.json()
    assert other_body.status_code == 422 and other_body.json()["type"] == "/problems/idempotency-key-reused"
    assert [(m["kind"], m["amount_minor"]) for m in movements] == [("capture", 95000)]

    settings = billing.settings()
    asked = await fetch(settings, "SELECT count(*) AS n FROM stub_provider_webhooks WHERE payload->>'type' = 'payment.succeeded'")
    assert asked[0]["n"] == 1  # the provider was asked to charge once: one outcome
    ledger = await fetch(settings, "SELECT count(*) AS n FROM ledger_transactions WHERE kind = 'capture'")
    assert ledger[0]["n"] == 1


async def _with_status(read, status: str) -> dict | None:  # noqa: ANN001
    found = await read()
    return found if found is not None and found["status"] == status else None
