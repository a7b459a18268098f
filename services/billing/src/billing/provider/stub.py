"""The development payment provider: behaves like the real one from billing's point of view.

Its state lives in its own tables (``stub_provider_*``) and every call commits on its own, like a remote
system: billing's transaction rolling back does not undo a provider call, which is why every call
carries an idempotency key. Outcomes arrive as signed webhooks delivered over HTTP by ``deliver_webhooks``
(a background task of the billing process), after ``stub_confirm_delay_s``, retried until answered 2xx.
Payment methods: ``stub_card_ok`` succeeds, ``stub_card_declined`` fails.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from datetime import UTC, datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from billing.models import StubPayment, StubRefund, StubWebhook
from billing.provider import signature
from billing.provider.base import ProviderError, ProviderPayment, ProviderRefund
from billing.settings import Settings
from kit.db import Database

log = logging.getLogger("billing.provider.stub")

PAYMENT_METHODS = {"stub_card_ok": "payment.succeeded", "stub_card_declined": "payment.failed"}


class StubProvider:
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


async def settle(db: Database, event_type: str, data: dict) -> None:
    """The provider's own bookkeeping when an outcome is delivered (payment/refund status)."""
    async with db.transaction() as session:
        if event_type == "payment.succeeded":
            await session.execute(update(StubPayment).where(StubPayment.id == data["payment_id"]).values(status="succeeded"))
        elif event_type == "payment.failed":
            await session.execute(update(StubPayment).where(StubPayment.id == data["payment_id"]).values(status="failed"))
        elif event_type == "refund.succeeded":
            await session.execute(update(StubRefund).where(StubRefund.id == data["refund_id"]).values(status="succeeded"))


async def deliver_webhooks(app: FastAPI, stop: asyncio.Event) -> None:
    """Background task: POST due webhooks, signed, to billing's webhook URL; retry with back-off."""
    settings: Settings = app.state.settings
    if settings.provider != "stub":
        return
    db: Database = app.state.provider.db
    async with httpx.AsyncClient(timeout=5.0) as client:
        while not stop.is_set():
            try:
                delivered = await _deliver_due(db, client, settings)
            except Exception:  # noqa: BLE001 - keep delivering; the database or our endpoint may be back soon
                log.exception("webhook delivery round failed")
                delivered = 0
            if not delivered:
                try:
                    await asyncio.wait_for(stop.wait(), settings.stub_poll_interval_s)
                except TimeoutError:
                    pass
    await db.dispose()


async def _deliver_due(db: Database, client: httpx.AsyncClient, settings: Settings) -> int:
    async with db.transaction() as session:
        rows = (
            await session.execute(
                select(StubWebhook)
                .where(StubWebhook.delivered_at.is_(None), StubWebhook.due_at <= datetime.now(UTC))
                .order_by(StubWebhook.id)
                .limit(50)
                .with_for_update(skip_locked=True)
            )
        ).scalars().all()
        if not rows:
            return 0
        # the provider settles first, then tells us (as a real provider does)
        for row in rows:
            if row.attempts == 0:
                await settle(db, row.payload["type"], row.payload["data"])

        async def post(row: StubWebhook) -> bool:
            body = json.dumps(row.payload).encode()
            headers = {signature.HEADER: signature.sign(settings.provider_webhook_secret, body),
                       "content-type": "application/json"}
            try:
                response = await client.post(settings.stub_webhook_url, content=body, headers=headers)
                return response.is_success
            except httpx.HTTPError as exc:
                log.warning("webhook %s not delivered: %r", row.event_id, exc)
                return False

        results = await asyncio.gather(*(post(row) for row in rows))
        now = datetime.now(UTC)
        for row, ok in zip(rows, results, strict=True):
            row.attempts += 1
            if ok:
                row.delivered_at = now
            else:
                row.due_at = now + timedelta(seconds=min(0.5 * 2**row.attempts, 60))
        return sum(results)
