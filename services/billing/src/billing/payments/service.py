"""Payment use cases. Each takes the caller's session (one transaction) and the provider adapter;
provider calls carry idempotency keys because they commit on the provider's side independently."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.payment_provider import PaymentProvider, ProviderError, WebhookEvent
from billing.ledger import rules as ledger
from billing.ledger import service as ledger_service
from billing.models import MoneyMovement, Payment, ProviderEvent
from billing.payments import rules
from contracts.billing.v1 import (
    PaymentCaptured,
    PaymentCreated,
    PaymentFailed,
    PaymentRefunded,
    PaymentVoided,
)
from contracts.booking.v1 import BookingCancelled, BookingHoldExpired, BookingRequested
from contracts.money import Money
from kit import context, outbox
from kit.auth import Principal
from kit.problems import Problem, conflict, forbidden, not_found

log = logging.getLogger("billing.payments")


def _money(payment: Payment) -> Money:
    return Money(amount_minor=payment.amount_minor, currency=payment.currency)


async def _locked(session: AsyncSession, **where: object) -> Payment | None:
    query = select(Payment).filter_by(**where).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


# -- saga steps driven by booking's events ----------------------------------------------------------------
async def create_for_booking(session: AsyncSession, provider: PaymentProvider, event: BookingRequested) -> None:
    if await _locked(session, booking_id=event.booking_id):
        return
    if not rules.hold_active(event.hold_expires_at, datetime.now(UTC)):
        log.info("booking %s arrived after its hold expired; no payment is created", event.booking_id)
        return
    created = await provider.create_payment(
        amount_minor=event.price.amount_minor,
        currency=event.price.currency,
        reference=f"booking {event.booking_id}",
        idempotency_key=f"booking:{event.booking_id}",
    )
    payment = Payment(
        id=uuid.uuid4(),
        booking_id=event.booking_id,
        client_id=event.client_id,
        therapist_id=event.therapist_id,
        amount_minor=event.price.amount_minor,
        currency=event.price.currency,
        status="pending",
        provider_payment_id=created.id,
        starts_at=event.starts_at,
        time_zone=event.time_zone,
        hold_expires_at=event.hold_expires_at,
        correlation_id=context.correlation_id.get(),
    )
    session.add(payment)
    await session.flush()
    await outbox.add(
        session,
        PaymentCreated(payment_id=payment.id, booking_id=payment.booking_id, client_id=payment.client_id, amount=_money(payment)),
    )


async def void_for_expired_hold(session: AsyncSession, provider: PaymentProvider, event: BookingHoldExpired) -> None:
    payment = await _locked(session, booking_id=event.booking_id)
    if payment is None:
        return  # the booking expired before billing created its payment: the payment will find it voided
    if rules.can_void(payment.status):
        await _void(session, provider, payment)
    elif payment.status == "captured":
        await _refund(session, provider, payment, "hold_expired")


async def settle_cancellation(session: AsyncSession, provider: PaymentProvider, event: BookingCancelled) -> None:
    payment = await _locked(session, booking_id=event.booking_id)
    if payment is None:
        log.info("booking %s was cancelled without a platform payment", event.booking_id)
        return
    payment.cancelled_by = event.cancelled_by
    payment.therapist_paid_on_cancel = event.therapist_paid
    action = rules.refund_on_cancellation(payment.status, event.refund)
    if action == "void":
        await _void(session, provider, payment)
    elif action == "refund":
        await _refund(session, provider, payment, f"cancelled_by_{event.cancelled_by}")


async def _void(session: AsyncSession, provider: PaymentProvider, payment: Payment) -> None:
    await provider.cancel_payment(payment.provider_payment_id)
    payment.status = "voided"
    await outbox.add(
        session, PaymentVoided(payment_id=payment.id, booking_id=payment.booking_id), correlation_id=payment.correlation_id
    )


async def _refund(session: AsyncSession, provider: PaymentProvider, payment: Payment, reason: str) -> None:
    await provider.refund(
        payment.provider_payment_id, amount_minor=payment.amount_minor, idempotency_key=f"refund:{payment.id}"
    )
    payment.status = "refund_pending"
    payment.refund_reason = reason


# -- the client pays ----------------------------------------------------------------------------------------
async def pay(
    session: AsyncSession, provider: PaymentProvider, principal: Principal, payment_id: uuid.UUID, method: str
) -> Payment:
    payment = await _payable_by(session, principal, payment_id)
    if not rules.can_pay(payment.status):
        raise conflict("payment-not-payable", f"the payment is {payment.status} and cannot be paid", payment_status=payment.status)
    if not rules.hold_active(payment.hold_expires_at, datetime.now(UTC)):
        raise conflict("hold-expired", "the time to pay for this booking has run out; the slot was released")
    try:
        await provider.confirm_payment(payment.provider_payment_id, payment_method=method)
    except ProviderError as exc:
        raise Problem(422, "payment-refused", str(exc)) from exc
    _processing(payment)
    return payment


async def resume_pay(
    session: AsyncSession, provider: PaymentProvider, principal: Principal, payment_id: uuid.UUID
) -> Payment | None:
    """The answer to a ``pay`` retried after an attempt with its key left none (``kit.idempotency``'s
    ``recover``): the payment as it is now when that attempt's charge got through, else None (pay again)."""
    payment = await _payable_by(session, principal, payment_id)
    provider_status = None if payment.status in rules.PAID_FOR else (
        await provider.get_payment(payment.provider_payment_id)).status
    action = rules.after_interrupted_pay(payment.status, provider_status)
    if action == "pay":
        return None
    if action == "processing":  # the outcome's webhook finds it processing, as after an uninterrupted pay
        _processing(payment)
    return payment


async def _payable_by(session: AsyncSession, principal: Principal, payment_id: uuid.UUID) -> Payment:
    """The payment, locked, when ``principal`` is its paying client."""
    payment = await _locked(session, id=payment_id)
    if payment is None or not _may_see(principal, payment):
        raise not_found("payment", payment_id)  # someone else's payment and a missing one answer alike
    if payment.client_id != principal.account_id:
        raise forbidden("only the paying client can pay this payment")
    return payment


def _processing(payment: Payment) -> None:
    payment.status = "processing"
    payment.failure_reason = None
    payment.trace_context = outbox.current_trace_context()


# -- the provider reports an outcome --------------------------------------------------------------------------
async def handle_webhook(session: AsyncSession, provider: PaymentProvider, event: WebhookEvent) -> bool:
    """Apply a verified webhook once. False when it had been processed before."""
    first_time = (
        await session.execute(
            insert(ProviderEvent).values(id=event.id, type=event.type).on_conflict_do_nothing().returning(ProviderEvent.id)
        )
    ).first()
    if first_time is None:
        return False
    payment = await _locked(session, provider_payment_id=event.data["payment_id"])
    if payment is None:
        raise Problem(422, "unknown-payment", f"no payment with provider id {event.data['payment_id']}")
    if event.type == "payment.succeeded":
        await _captured(session, provider, payment, event)
    elif event.type == "payment.failed":
        if payment.status == "processing":
            payment.status = "failed"
            payment.failure_reason = event.data.get("reason", "declined")
            await outbox.add(
                session,
                PaymentFailed(payment_id=payment.id, booking_id=payment.booking_id, reason=payment.failure_reason),
                correlation_id=payment.correlation_id, trace_context=payment.trace_context,
            )
    elif event.type == "refund.succeeded":
        if payment.status == "refund_pending":
            session.add(MoneyMovement(payment_id=payment.id, kind="refund", amount_minor=event.data["amount_minor"],
                                      currency=payment.currency, provider_reference=event.data["refund_id"]))
            await ledger_service.post(session, key=f"refund:{payment.id}", kind="refund", currency=payment.currency,
                                      postings=ledger.refund(event.data["amount_minor"]), payment_id=payment.id,
                                      therapist_id=payment.therapist_id)
            payment.status = "refunded"
            await outbox.add(
                session,
                PaymentRefunded(payment_id=payment.id, booking_id=payment.booking_id, client_id=payment.client_id,
                                amount=_money(payment), reason=payment.refund_reason or "cancelled_by_client",
                                starts_at=payment.starts_at, time_zone=payment.time_zone),
                correlation_id=payment.correlation_id, trace_context=payment.trace_context,
            )
    return True


async def _captured(session: AsyncSession, provider: PaymentProvider, payment: Payment, event: WebhookEvent) -> None:
    action = rules.on_capture(payment.status)
    if action == "ignore":
        return
    session.add(MoneyMovement(payment_id=payment.id, kind="capture", amount_minor=event.data["amount_minor"],
                              currency=payment.currency, provider_reference=event.id))
    await ledger_service.post(session, key=f"capture:{payment.id}", kind="capture", currency=payment.currency,
                              postings=ledger.capture(event.data["amount_minor"]), payment_id=payment.id,
                              therapist_id=payment.therapist_id)
    if action == "capture":
        payment.status = "captured"
        await outbox.add(
            session,
            PaymentCaptured(payment_id=payment.id, booking_id=payment.booking_id, amount=_money(payment)),
            correlation_id=payment.correlation_id, trace_context=payment.trace_context,
        )
    else:  # paid after the hold expired: give the money back at once
        await _refund(session, provider, payment, "captured_after_void")


# -- reads --------------------------------------------------------------------------------------------------
def _may_see(principal: Principal, payment: Payment) -> bool:
    return principal.account_id in (payment.client_id, payment.therapist_id) or principal.has("admin")


async def visible_payment(session: AsyncSession, principal: Principal, **where: object) -> Payment:
    payment = (await session.execute(select(Payment).filter_by(**where))).scalar_one_or_none()
    if payment is None or not _may_see(principal, payment):
        raise not_found("payment", next(iter(where.values())))
    return payment


async def payment_of_booking(session: AsyncSession, principal: Principal, booking_id: uuid.UUID) -> Payment | None:
    """The booking's payment; None while billing has not created it yet (404 if someone else's)."""
    payment = (await session.execute(select(Payment).where(Payment.booking_id == booking_id))).scalar_one_or_none()
    if payment is not None and not _may_see(principal, payment):
        raise not_found("payment", booking_id)
    return payment


async def movements(session: AsyncSession, payment: Payment) -> list[MoneyMovement]:
    query = select(MoneyMovement).where(MoneyMovement.payment_id == payment.id).order_by(MoneyMovement.id)
    return list((await session.execute(query)).scalars())
