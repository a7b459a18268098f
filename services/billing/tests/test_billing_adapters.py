"""The production adapters of billing's outside systems (the payment provider, the bank) against small
local fakes of their REST APIs served over real HTTP (kit.testing.fake_api), and the settings rule that
their credentials are required in production only when they are chosen."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from billing.adapters.bank import BankRefused, HttpBankTransfers
from billing.adapters.payment_provider import HttpPaymentProvider, ProviderError
from billing.settings import Settings
from kit.adapters import OutsideSystemError
from kit.testing import fake_api


def fake_provider() -> tuple[FastAPI, dict]:
    """A provider that answers a repeated idempotency key with the first result, is busy (503) on the first
    call of a key ending in ``-busy``, and hangs for ``-slow``."""
    app, seen = FastAPI(), {"keys": [], "charges": {}, "refunds": {}, "auth": set()}

    @app.post("/v1/payments")
    async def create(request: Request, idempotency_key: str = Header()):
        seen["keys"].append(idempotency_key)
        seen["auth"].add(request.headers.get("authorization"))
        if idempotency_key.endswith("-busy") and seen["keys"].count(idempotency_key) == 1:
            return JSONResponse({"message": "busy"}, status_code=503)
        body = await request.json()
        if idempotency_key.endswith("-slow"):
            await asyncio.sleep(2)
        if body["amount_minor"] <= 0:
            return JSONResponse({"code": "amount_invalid", "message": "amount must be positive"}, status_code=400)
        if idempotency_key not in seen["charges"]:
            seen["charges"][idempotency_key] = {"id": f"pay_{secrets.token_hex(4)}", "status": "requires_payment"}
        return seen["charges"][idempotency_key]

    @app.get("/v1/payments/{payment_id}")
    async def status(payment_id: str):
        found = [c for c in seen["charges"].values() if c["id"] == payment_id]
        return found[0] if found else JSONResponse({"message": "no such payment"}, status_code=404)

    @app.post("/v1/payments/{payment_id}/refunds")
    async def refund(payment_id: str, idempotency_key: str = Header()):
        seen["keys"].append(idempotency_key)
        if seen["keys"].count(idempotency_key) == 1:
            return JSONResponse({"message": "busy"}, status_code=503)
        return seen["refunds"].setdefault(idempotency_key, {"id": f"re_{secrets.token_hex(4)}", "status": "pending"})

    return app, seen


def provider_settings(url: str, **changes) -> Settings:
    return Settings(environment="test", payment_provider="http", payment_provider_url=url,
                    payment_provider_api_key="pk_test_123", payment_provider_timeout_s=0.3, **changes)


async def test_the_provider_adapter_creates_reads_and_refunds_once_through_transient_failures():
    app, seen = fake_provider()
    async with fake_api(app) as url:
        provider = HttpPaymentProvider(provider_settings(url))
        created = await provider.create_payment(amount_minor=95000, currency="SEK", reference="booking 1",
                                                idempotency_key="booking:1-busy")
        assert created.status == "requires_payment"
        # the 503 was retried with the same key, and the provider charged once
        assert seen["keys"] == ["booking:1-busy", "booking:1-busy"] and len(seen["charges"]) == 1
        assert seen["auth"] == {"Bearer pk_test_123"}
        assert (await provider.get_payment(created.id)) == created
        again = await provider.create_payment(amount_minor=95000, currency="SEK", reference="booking 1",
                                              idempotency_key="booking:1-busy")
        assert again.id == created.id and len(seen["charges"]) == 1
        refund = await provider.refund(created.id, amount_minor=95000, idempotency_key="refund:1")
        assert refund.status == "pending" and seen["keys"][-2:] == ["refund:1", "refund:1"] and len(seen["refunds"]) == 1
        await provider.close()


async def test_the_provider_adapter_reports_a_refusal_and_a_timeout_as_problems():
    app, _ = fake_provider()
    async with fake_api(app) as url:
        provider = HttpPaymentProvider(provider_settings(url))
        with pytest.raises(ProviderError, match="amount must be positive"):
            await provider.create_payment(amount_minor=0, currency="SEK", reference="x", idempotency_key="k0")
        with pytest.raises(OutsideSystemError) as slow:
            await provider.create_payment(amount_minor=1, currency="SEK", reference="x", idempotency_key="k-slow")
        assert slow.value.status == 503 and slow.value.slug == "payment-provider-unavailable"
        await provider.close()


def fake_bank() -> tuple[FastAPI, dict]:
    app, seen = FastAPI(), {"keys": [], "transfers": {}}

    @app.post("/v1/payments")
    async def initiate(request: Request, idempotency_key: str = Header()):
        seen["keys"].append(idempotency_key)
        body = await request.json()
        if body["creditor_account"] == "closed":
            return JSONResponse({"message": "creditor account closed"}, status_code=422)
        if body["creditor_account"] == "slow":
            await asyncio.sleep(2)
        if seen["keys"].count(idempotency_key) == 1:
            return JSONResponse({"message": "try later"}, status_code=503)
        transfer = seen["transfers"].setdefault(idempotency_key, {"payment_id": f"bank-{secrets.token_hex(4)}",
                                                                  "status": "pending", "body": body})
        return {"payment_id": transfer["payment_id"], "status": transfer["status"]}

    @app.get("/v1/payments/{payment_id}")
    async def status(payment_id: str):
        return {"payment_id": payment_id, "status": "executed"}

    return app, seen


def bank_settings(url: str) -> Settings:
    return Settings(environment="test", bank="http", bank_url=url, bank_api_key="bank-key",
                    bank_debtor_account="SE4550000000058398257466", bank_timeout_s=0.3)


async def test_the_bank_adapter_transfers_once_through_a_transient_failure_and_reads_the_status():
    app, seen = fake_bank()
    async with fake_api(app) as url:
        bank = HttpBankTransfers(bank_settings(url))
        key = "payout:2026-11:therapist-1:SEK"
        reference = await bank.transfer(to_account="SE3550000000054910000003", amount_minor=80750, currency="SEK",
                                        idempotency_key=key)
        assert seen["keys"] == [key, key] and len(seen["transfers"]) == 1
        assert seen["transfers"][key]["body"]["debtor_account"] == "SE4550000000058398257466"
        assert await bank.transfer(to_account="SE3550000000054910000003", amount_minor=80750, currency="SEK",
                                   idempotency_key=key) == reference
        assert len(seen["transfers"]) == 1
        assert (await bank.status(reference)).status == "executed"
        with pytest.raises(BankRefused, match="creditor account closed") as refused:
            await bank.transfer(to_account="closed", amount_minor=1, currency="SEK", idempotency_key="k1")
        assert refused.value.status == 422
        with pytest.raises(OutsideSystemError) as slow:
            await bank.transfer(to_account="slow", amount_minor=1, currency="SEK", idempotency_key="k2")
        assert slow.value.status == 503
        await bank.close()


def test_production_requires_the_credentials_of_the_chosen_adapters_only():
    base = {"environment": "production", "provider_webhook_secret": "s3cret-webhook", "amqp_url": "amqp://u:p@mq/"}
    stubs = Settings(**base, payment_provider="stub", bank="stub")
    assert not any("PAYMENT_PROVIDER" in p or "BILLING_BANK" in p for p in stubs.problems())
    chosen = Settings(**base, payment_provider="http", bank="http")
    named = {p.split(":")[0] for p in chosen.problems()}
    assert {"BILLING_PAYMENT_PROVIDER_URL", "BILLING_PAYMENT_PROVIDER_API_KEY", "BILLING_BANK_URL",
            "BILLING_BANK_API_KEY", "BILLING_BANK_DEBTOR_ACCOUNT"} <= named
    ready = Settings(**base, payment_provider="http", payment_provider_url="https://psp", payment_provider_api_key="k",
                     bank="http", bank_url="https://bank", bank_api_key="k", bank_debtor_account="SE45")
    assert not any("PAYMENT_PROVIDER" in p or "BILLING_BANK" in p for p in ready.problems())
    unset = Settings(**base)
    assert {"BILLING_PAYMENT_PROVIDER", "BILLING_BANK"} <= {p.split(":")[0] for p in unset.problems()}


def test_the_crash_fault_injection_works_in_the_test_environment_only():
    base = {"provider_webhook_secret": "s3cret-webhook", "amqp_url": "amqp://u:p@mq/", "crash_after_provider_call": True}
    assert Settings(**base, environment="test").crashes_after_provider_call
    assert not Settings(**base, environment="development").crashes_after_provider_call
    production = Settings(**base, environment="production")
    assert not production.crashes_after_provider_call
    assert "BILLING_CRASH_AFTER_PROVIDER_CALL" in {p.split(":")[0] for p in production.problems()}
