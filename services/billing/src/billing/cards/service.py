"""Billing-card use cases: open cards when a group session closes, take payment, combine cards into a
collective invoice and take its payment. Cards are locked in id order, so concurrent requests on the
same cards queue up instead of deadlocking, and a card is never paid or invoiced twice."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.models import BillingCard, CollectiveInvoice
from contracts.booking.v1 import GroupSessionClosed
from kit.db import one_or_404
from kit.problems import conflict, invalid, not_found


async def open_cards(session: AsyncSession, event: GroupSessionClosed) -> None:
    if not event.cards:
        return
    await session.execute(insert(BillingCard).values([
        {"id": uuid.uuid4(), "appointment_id": event.appointment_id, "patient_id": line.patient_id,
         "practitioner_id": event.practitioner_id, "appointment_type": event.appointment_type,
         "session_starts_at": event.starts_at, "tariff_codes": line.tariff_codes, "guarantee_code": line.guarantee_code,
         "amount_minor": line.fee.amount_minor, "currency": line.fee.currency, "status": "pay_later",
         "helfo_fee_minor": line.helfo_fee_minor, "patient_share_minor": line.patient_share_minor,
         "helfo_refund_minor": line.helfo_refund_minor}
        for line in event.cards
    ]).on_conflict_do_nothing(constraint="one_card_per_patient_and_session"))


async def cards(session: AsyncSession, practitioner_id: uuid.UUID, *, status: str | None,
                patient_id: uuid.UUID | None) -> list[BillingCard]:
    query = select(BillingCard).where(BillingCard.practitioner_id == practitioner_id).order_by(BillingCard.session_starts_at)
    if status:
        query = query.where(BillingCard.status == status)
    if patient_id:
        query = query.where(BillingCard.patient_id == patient_id)
    return list((await session.execute(query)).scalars())


async def _locked_cards(session: AsyncSession, practitioner_id: uuid.UUID, card_ids: list[uuid.UUID]) -> list[BillingCard]:
    ids = sorted(set(card_ids))
    found = list((await session.execute(select(BillingCard).where(BillingCard.id.in_(ids)).order_by(BillingCard.id)
                                        .with_for_update())).scalars())
    mine = [c for c in found if c.practitioner_id == practitioner_id]
    missing = set(ids) - {c.id for c in mine}
    if missing:
        raise not_found("billing card", ", ".join(sorted(str(m) for m in missing)))
    return mine


async def take_payment(session: AsyncSession, practitioner_id: uuid.UUID, card_id: uuid.UUID, method: str) -> BillingCard:
    (card,) = await _locked_cards(session, practitioner_id, [card_id])
    if card.status != "pay_later":
        raise conflict(f"card-{card.status.replace('_', '-')}", f"the card is {card.status.replace('_', ' ')}")
    card.status, card.payment_method, card.paid_at = "paid", method, datetime.now(UTC)
    return card


async def collective_invoice(session: AsyncSession, practitioner_id: uuid.UUID, card_ids: list[uuid.UUID]) -> CollectiveInvoice:
    chosen = await _locked_cards(session, practitioner_id, card_ids)
    taken = [str(c.id) for c in chosen if c.status != "pay_later"]
    if taken:
        raise conflict("card-not-pay-later", f"only cards to be paid later can be invoiced: {', '.join(taken)}", cards=taken)
    if len({c.patient_id for c in chosen}) != 1 or len({c.currency for c in chosen}) != 1:
        raise invalid("a collective invoice combines cards of one patient in one currency")
    invoice = CollectiveInvoice(id=uuid.uuid4(), practitioner_id=practitioner_id, patient_id=chosen[0].patient_id,
                                total_minor=sum(c.amount_minor for c in chosen), currency=chosen[0].currency, status="open")
    session.add(invoice)
    await session.flush()
    for card in chosen:
        card.status, card.invoice_id = "invoiced", invoice.id
    return invoice


async def own_invoice(session: AsyncSession, practitioner_id: uuid.UUID, invoice_id: uuid.UUID, *, lock: bool = False) -> CollectiveInvoice:
    return await one_or_404(session, CollectiveInvoice, invoice_id, "collective invoice", lock=lock,
                            visible=lambda invoice: invoice.practitioner_id == practitioner_id)


async def pay_invoice(session: AsyncSession, practitioner_id: uuid.UUID, invoice_id: uuid.UUID, method: str) -> CollectiveInvoice:
    invoice = await own_invoice(session, practitioner_id, invoice_id, lock=True)
    if invoice.status == "paid":
        raise conflict("invoice-paid", "the invoice is paid already")
    now = datetime.now(UTC)
    invoice.status, invoice.payment_method, invoice.paid_at = "paid", method, now
    for card in (await session.execute(select(BillingCard).where(BillingCard.invoice_id == invoice.id).with_for_update())).scalars():
        card.status, card.payment_method, card.paid_at = "paid", method, now
    return invoice


async def invoice_cards(session: AsyncSession, invoice_id: uuid.UUID) -> list[BillingCard]:
    return list((await session.execute(select(BillingCard).where(BillingCard.invoice_id == invoice_id)
                                       .order_by(BillingCard.session_starts_at))).scalars())
