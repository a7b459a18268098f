"""The payment provider: the interface the payment use cases depend on, its development stub and the
production adapter for a card/Swish-style REST provider with payment intents.

The shape: create a payment for an amount → the client confirms it with a payment method → the outcome
arrives asynchronously as a signed webhook (``payment.succeeded`` / ``payment.failed``); refunds likewise
(``refund.succeeded``). Creating a payment and refunding carry an idempotency key (``Idempotency-Key``),
so a retried call never charges or refunds twice.

Webhook signatures: ``Provider-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
The timestamp is signed with the body, so an old request replayed later is refused even with a valid
signature; comparisons are constant-time.

The development stub (``StubProvider``) keeps its state in its own tables (``stub_provider_*``) and every
call commits on its own, like a remote system: billing's transaction rolling back does not undo a
provider call. Outcomes arrive as signed webhooks delivered over HTTP by ``deliver_webhooks`` (a
background task of the billing process), after ``stub_confirm_delay_s``, retried until answered 2xx.
Payment methods: ``stub_card_ok`` succeeds, ``stub_card_declined`` fails.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from billing.models import StubPayment, StubRefund, StubWebhook
from billing.settings import Settings
from kit.adapters import HttpApi, OutsideSystemError
from kit.db import Database
from kit.raises import declares

log = logging.getLogger("billing.adapters.payment_provider")

ProviderPaymentStatus = Literal["requires_payment", "processing", "succeeded", "failed", "canceled"]


@dataclass(frozen=True)
class ProviderPayment:
    id: str
    status: ProviderPaymentStatus


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    status: Literal["pending", "succeeded", "failed"]


class ProviderError(Exception):
    """The provider refused the call (the message says why); the caller answers a 4xx problem."""


@declares(503, "payment-provider-unavailable")
class PaymentProvider(Protocol):
    async def create_payment(
        self, *, amount_minor: int, currency: str, reference: str, idempotency_key: str
    ) -> ProviderPayment: ...

    async def get_payment(self, payment_id: str) -> ProviderPayment: ...

    async def confirm_payment(self, payment_id: str, *, payment_method: str) -> ProviderPayment: ...

    async def cancel_payment(self, payment_id: str) -> ProviderPayment: ...

    async def refund(self, payment_id: str, *, amount_minor: int, idempotency_key: str) -> ProviderRefund: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook: ``id`` is unique per event; ``data`` depends on ``type``."""

    id: str
    type: Literal["payment.succeeded", "payment.failed", "refund.succeeded"]
    data: dict[str, Any]


# -- webhook signatures -------------------------------------------------------------------------------------
HEADER = "Provider-Signature"


class SignatureError(ValueError):
    pass


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify(secret: str, body: bytes, header: str | None, *, tolerance_s: int, now: float | None = None) -> None:
    """Raise ``SignatureError`` saying what is wrong, or return when the signature is good and fresh."""
    if not header:
        raise SignatureError(f"missing {HEADER} header")
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError) as exc:
        raise SignatureError(f"malformed {HEADER} header") from exc
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given):
        raise SignatureError("signature does not match")
    age = (time.time() if now is None else now) - timestamp
    if abs(age) > tolerance_s:
        raise SignatureError(f"signature timestamp is {age:.0f} s old; at most {tolerance_s} s is accepted")


# -- the production adapter -------------------------------------------------------------------------------
SYSTEM = "payment-provider"


class HttpPaymentProvider:
    """A card/Swish-style REST provider (``BILLING_PAYMENT_PROVIDER=http``) at
    ``BILLING_PAYMENT_PROVIDER_URL``, authenticated with a bearer API key
    (``BILLING_PAYMENT_PROVIDER_API_KEY``):

    - ``POST /v1/payments`` ``{amount_minor, currency, reference}`` with ``Idempotency-Key`` → ``{id, status}``
    - ``GET /v1/payments/{id}`` → ``{id, status}``
    - ``POST /v1/payments/{id}/confirm`` ``{payment_method}``; ``POST /v1/payments/{id}/cancel``
    - ``POST /v1/payments/{id}/refunds`` ``{amount_minor}`` with ``Idempotency-Key`` → ``{id, status}``

    The idempotency key makes every call safe to retry (the provider answers a repeat with the first
    result), so transient failures are retried by ``HttpApi``. A 4xx is the provider refusing:
    :class:`ProviderError` with its ``message``; unreachable or busy → ``OutsideSystemError`` (503).
    """

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.api = HttpApi(SYSTEM, settings.payment_provider_url, timeout_s=settings.payment_provider_timeout_s,
                           headers={"Authorization": f"Bearer {settings.payment_provider_api_key.get_secret_value()}"},
                           transport=transport)

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = await self.api.request(method, path, **kwargs)
        if response.is_success:
            try:
                return response.json()
            except ValueError as exc:
                raise OutsideSystemError(SYSTEM, f"{SYSTEM} answered with something that is not JSON") from exc
        if 400 <= response.status_code < 500 and response.status_code not in (401, 403):
            try:
                message = str(response.json().get("message") or response.json().get("code"))
            except (ValueError, AttributeError):
                message = ""
            raise ProviderError(f"the payment provider refused: {message or response.status_code}"[:300])
        log.warning("%s answered %s %s with %s", SYSTEM, method, path, response.status_code)
        raise OutsideSystemError(SYSTEM, f"{SYSTEM} refused the request ({response.status_code})")

    async def create_payment(
        self, *, amount_minor: int, currency: str, reference: str, idempotency_key: str
    ) -> ProviderPayment:
        body = await self._call("POST", "/v1/payments", headers={"Idempotency-Key": idempotency_key},
                                json={"amount_minor": amount_minor, "currency": currency, "reference": reference})
        return ProviderPayment(body["id"], body["status"])

    async def get_payment(self, payment_id: str) -> ProviderPayment:
        body = await self._call("GET", f"/v1/payments/{payment_id}")
        return ProviderPayment(body["id"], body["status"])

    async def confirm_payment(self, payment_id: str, *, payment_method: str) -> ProviderPayment:
        # confirming the same payment again answers its current state: safe to retry
        body = await self._call("POST", f"/v1/payments/{payment_id}/confirm", json={"payment_method": payment_method})
        return ProviderPayment(body["id"], body["status"])

    async def cancel_payment(self, payment_id: str) -> ProviderPayment:
        body = await self._call("POST", f"/v1/payments/{payment_id}/cancel")
        return ProviderPayment(body["id"], body["status"])

    async def refund(self, payment_id: str, *, amount_minor: int, idempotency_key: str) -> ProviderRefund:
        body = await self._call("POST", f"/v1/payments/{payment_id}/refunds", headers={"Idempotency-Key": idempotency_key},
                                json={"amount_minor": amount_minor})
        return ProviderRefund(body["id"], body["status"])

    async def close(self) -> None:
        await self.api.close()


# -- fault injection (tests only) -------------------------------------------------------------------------
class CrashAfterConfirm:
    """Any provider, except that the process dies (exit 137, as after ``kill -9``) as soon as a payment's
    confirmation has been answered: the provider has the charge, billing never commits. Only when
    ``BILLING_CRASH_AFTER_PROVIDER_CALL`` is set and the environment is ``test`` (``Settings``)."""

    def __init__(self, provider: PaymentProvider) -> None:
        self.provider = provider

    def __getattr__(self, name: str) -> Any:
        return getattr(self.provider, name)

    async def confirm_payment(self, payment_id: str, *, payment_method: str) -> ProviderPayment:
        confirmed = await self.provider.confirm_payment(payment_id, payment_method=payment_method)
        log.warning("fault injection: exiting after the provider confirmed %s, before billing commits", payment_id)
        logging.shutdown()
        os._exit(137)
        return confirmed  # pragma: no cover


# -- the development stub ---------------------------------------------------------------------------------

PAYMENT_METHODS = {"stub_card_ok": "payment.succeeded", "stub_card_declined": "payment.failed"}


class StubProvider:
    """The development provider (``BILLING_PAYMENT_PROVIDER=stub``): tables of its own, outcomes by webhook."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    async def create_payment(
        self, *, amount_minor: int, currency: str, reference: str, idempotency_key: str
    ) -> ProviderPayment:
        async with self.db.transaction() as session:
            await session.execute(
                insert(StubPayment)
                .values(
                    id=f"pay_{secrets.token_hex(12)}",
                    idempotency_key=idempotency_key,
                    reference=reference,
                    amount_minor=amount_minor,
                    currency=currency,
                    status="requires_payment",
                )
                .on_conflict_do_nothing(index_elements=["idempotency_key"])
            )
            row = (
                await session.execute(select(StubPayment).where(StubPayment.idempotency_key == idempotency_key))
            ).scalar_one()
            return ProviderPayment(row.id, row.status)  # type: ignore[arg-type]

    async def get_payment(self, payment_id: str) -> ProviderPayment:
        async with self.db.transaction() as session:
            row = await self._payment(session, payment_id)
            return ProviderPayment(row.id, row.status)  # type: ignore[arg-type]

    async def confirm_payment(self, payment_id: str, *, payment_method: str) -> ProviderPayment:
        if payment_method not in PAYMENT_METHODS:
            raise ProviderError(f"unknown payment method {payment_method!r}; use one of {sorted(PAYMENT_METHODS)}")
        async with self.db.transaction() as session:
            row = await self._payment(session, payment_id)
            if row.status == "processing":
                return ProviderPayment(row.id, "processing")
            if row.status not in ("requires_payment", "failed"):
                raise ProviderError(f"payment {payment_id} is {row.status}")
            row.status = "processing"
            outcome = PAYMENT_METHODS[payment_method]
            data = {"payment_id": row.id, "amount_minor": row.amount_minor, "currency": row.currency}
            if outcome == "payment.failed":
                data["reason"] = "card_declined"
            await self._schedule(session, outcome, data)
            return ProviderPayment(row.id, "processing")

    async def cancel_payment(self, payment_id: str) -> ProviderPayment:
        async with self.db.transaction() as session:
            row = await self._payment(session, payment_id)
            if row.status in ("requires_payment", "failed"):
                row.status = "canceled"
            # processing or succeeded: too late to cancel; the outcome webhook still comes
            return ProviderPayment(row.id, row.status)  # type: ignore[arg-type]

    async def refund(self, payment_id: str, *, amount_minor: int, idempotency_key: str) -> ProviderRefund:
        async with self.db.transaction() as session:
            payment = await self._payment(session, payment_id)
            if payment.status != "succeeded":
                raise ProviderError(f"payment {payment_id} is {payment.status}; only a succeeded payment is refunded")
            existing = (
                await session.execute(select(StubRefund).where(StubRefund.idempotency_key == idempotency_key))
            ).scalar_one_or_none()
            if existing:
                return ProviderRefund(existing.id, existing.status)  # type: ignore[arg-type]
            refund = StubRefund(
                id=f"re_{secrets.token_hex(12)}",
                idempotency_key=idempotency_key,
                payment_id=payment_id,
                amount_minor=amount_minor,
                status="pending",
            )
            session.add(refund)
            await self._schedule(
                session,
                "refund.succeeded",
                {"refund_id": refund.id, "payment_id": payment_id, "amount_minor": amount_minor},
            )
            return ProviderRefund(refund.id, "pending")

    async def close(self) -> None:
        """The stub's connections are closed by ``deliver_webhooks`` when it stops."""

    async def _payment(self, session, payment_id: str) -> StubPayment:  # noqa: ANN001
        row = (
            await session.execute(select(StubPayment).where(StubPayment.id == payment_id).with_for_update())
        ).scalar_one_or_none()
        if row is None:
            raise ProviderError(f"no such payment {payment_id}")
        return row

    async def _schedule(self, session, event_type: str, data: dict) -> None:  # noqa: ANN001
        event_id = f"evt_{secrets.token_hex(12)}"
        due = datetime.now(UTC) + timedelta(seconds=self.settings.stub_confirm_delay_s)
        session.add(
            StubWebhook(event_id=event_id, payload={"id": event_id, "type": event_type, "data": data}, due_at=due)
        )


async def settle(session, event_type: str, data: dict) -> None:  # noqa: ANN001
    """The provider's own bookkeeping when an outcome is delivered (payment/refund status)."""
    if event_type == "payment.succeeded":
        await session.execute(update(StubPayment).where(StubPayment.id == data["payment_id"]).values(status="succeeded"))
    elif event_type == "payment.failed":
        await session.execute(update(StubPayment).where(StubPayment.id == data["payment_id"]).values(status="failed"))
    elif event_type == "refund.succeeded":
        await session.execute(update(StubRefund).where(StubRefund.id == data["refund_id"]).values(status="succeeded"))


#: A claimed webhook is leased for this long: if the process dies mid-delivery, it is sent again afterwards
LEASE = timedelta(seconds=30)
#: Webhooks in flight at once, as a provider sends them: each on its own, none waiting for another
IN_FLIGHT = 16


async def deliver_webhooks(app: FastAPI, stop: asyncio.Event) -> None:
    """Background task: POST each due webhook, signed, to billing's webhook URL, each on its own (a slow
    answer holds up no other); retry with back-off until answered 2xx."""
    settings: Settings = app.state.settings
    if settings.payment_provider != "stub":
        return
    db: Database = app.state.provider.db
    in_flight: set[asyncio.Task] = set()
    async with httpx.AsyncClient(timeout=5.0) as client:
        while not stop.is_set():
            try:
                due = await _claim_due(db, IN_FLIGHT - len(in_flight))
            except Exception:  # noqa: BLE001 - keep delivering; the database may be back soon
                log.exception("claiming due webhooks failed")
                due = []
            for row in due:  # never more than IN_FLIGHT: only that many are claimed
                task = asyncio.create_task(_deliver(db, client, settings, row))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            if not due:
                try:
                    await asyncio.wait_for(stop.wait(), settings.stub_poll_interval_s)
                except TimeoutError:
                    pass
        if in_flight:
            await asyncio.wait(in_flight, timeout=5)
    await db.dispose()


async def _claim_due(db: Database, room: int) -> list[StubWebhook]:
    """Due webhooks, leased to this deliverer (another replica's stub skips them). The provider settles an
    outcome (payment or refund status) before it first tells us, as a real provider does."""
    if room <= 0:
        return []
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(StubWebhook)
                .where(StubWebhook.delivered_at.is_(None), StubWebhook.due_at <= datetime.now(UTC))
                .order_by(StubWebhook.id)
                .limit(room)
                .with_for_update(skip_locked=True)
            )
        ).scalars().all()
        for row in rows:
            row.due_at = datetime.now(UTC) + LEASE
            if row.attempts == 0:
                await settle(session, row.payload["type"], row.payload["data"])
        return list(rows)


async def _deliver(db: Database, client: httpx.AsyncClient, settings: Settings, row: StubWebhook) -> None:
    """One webhook, signed; its outcome (delivered, or when to try again) recorded."""
    try:
        body = json.dumps(row.payload).encode()
        headers = {HEADER: sign(settings.provider_webhook_secret.get_secret_value(), body),
                   "content-type": "application/json"}
        try:
            response = await client.post(settings.stub_webhook_url, content=body, headers=headers)
            ok = response.is_success
        except httpx.HTTPError as exc:
            log.warning("webhook %s not delivered: %r", row.event_id, exc)
            ok = False
        now = datetime.now(UTC)
        values = ({"attempts": row.attempts + 1, "delivered_at": now} if ok else
                  {"attempts": row.attempts + 1, "due_at": now + timedelta(seconds=min(0.5 * 2 ** (row.attempts + 1), 60))})
        async with db.transaction() as session:
            await session.execute(update(StubWebhook).where(StubWebhook.id == row.id).values(**values))
    except Exception:  # noqa: BLE001 - the lease runs out and the webhook is sent again
        log.exception("delivering webhook %s failed", row.event_id)
