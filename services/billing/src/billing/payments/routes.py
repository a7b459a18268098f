"""HTTP routes of payments: thin, they call payments.service."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from billing.adapters import payment_provider
from billing.adapters.payment_provider import PaymentProvider, WebhookEvent
from billing.models import Payment
from billing.payments import service
from billing.payments.schemas import MovementOut, PayIn, PaymentOut
from kit.auth import CurrentPrincipal
from kit.changes import MAX_WAIT_S
from kit.idempotency import IdempotencyKey, idempotent
from kit.problems import Problem, not_found
from kit.service import DbSession

router = APIRouter(tags=["payments"])


def _provider(request: Request) -> PaymentProvider:
    return request.app.state.provider


Provider = Annotated[PaymentProvider, Depends(_provider)]


def _out(payment) -> PaymentOut:  # noqa: ANN001
    return PaymentOut.of(payment)


@router.get("/payments/by-booking/{booking_id}")
async def payment_of_booking(
    booking_id: uuid.UUID, request: Request, principal: CurrentPrincipal,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_S, description="Seconds to wait for the payment to exist")] = 0,
) -> PaymentOut:
    """The payment of a booking: 404 until billing has created it, moments after the reservation. With
    ``wait`` the answer comes as soon as it exists (or 404 after ``wait`` seconds), without polling."""
    async def read() -> Payment | None:
        async with request.app.state.db.transaction() as session:
            return await service.payment_of_booking(session, principal, booking_id)

    payment = await request.app.state.changes.read_when("payments", booking_id, read, lambda p: p is not None, wait)
    if payment is None:
        raise not_found("payment", booking_id)
    return _out(payment)


@router.get("/payments/{payment_id}")
async def get_payment(payment_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> PaymentOut:
    return _out(await service.visible_payment(session, principal, id=payment_id))


@router.get("/payments/{payment_id}/movements")
async def payment_movements(payment_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> list[MovementOut]:
    payment = await service.visible_payment(session, principal, id=payment_id)
    return [MovementOut.model_validate(m) for m in await service.movements(session, payment)]


@router.post("/payments/{payment_id}/pay", status_code=202, response_model=PaymentOut)
async def pay(
    payment_id: uuid.UUID,
    body: PayIn,
    session: DbSession,
    principal: CurrentPrincipal,
    provider: Provider,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """Pay with a payment method; the outcome arrives from the provider shortly (status becomes
    ``captured`` or ``failed``). Send an ``Idempotency-Key`` so a retry never pays twice: a retry gets the
    first answer, or, when billing stopped after the provider's charge, the payment as it is now (both
    ``Idempotent-Replayed``)."""

    async def run() -> PaymentOut:
        return _out(await service.pay(session, provider, principal, payment_id, body.payment_method))

    async def recover() -> PaymentOut | None:
        payment = await service.resume_pay(session, provider, principal, payment_id)
        return None if payment is None else _out(payment)

    return await idempotent(session, key, scope=f"pay:{principal.account_id}:{payment_id}", request=body, run=run,
                            recover=recover, status_code=202)


@router.post("/webhooks/provider", include_in_schema=False)
async def provider_webhook(
    request: Request,
    session: DbSession,
    provider: Provider,
    provider_signature: Annotated[str | None, Header(alias=payment_provider.HEADER)] = None,
) -> dict[str, str]:
    """The provider's signed notifications. Forged or stale → 400; a redelivered event → 200, no effect."""
    body = await request.body()
    settings = request.app.state.settings
    try:
        payment_provider.verify(
            settings.provider_webhook_secret.get_secret_value(), body, provider_signature, tolerance_s=settings.provider_webhook_tolerance_s
        )
    except payment_provider.SignatureError as exc:
        raise Problem(400, "webhook-signature-invalid", str(exc)) from exc
    try:
        payload = WebhookEvent(**json.loads(body))
    except (TypeError, ValueError) as exc:
        raise Problem(400, "webhook-malformed", f"not a provider event: {exc}") from exc
    processed = await service.handle_webhook(session, provider, payload)
    return {"status": "processed" if processed else "already processed"}
