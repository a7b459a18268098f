"""Billing-card routes for the practitioner (thin; use cases in cards.service)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from billing.cards import service
from kit.auth import Principal, require_roles
from kit.service import DbSession

router = APIRouter(tags=["billing cards"])
Practitioner = Annotated[Principal, Depends(require_roles("therapist"))]
Method = Literal["card", "cash", "vipps", "bank_transfer"]


class CardOut(BaseModel):
    id: uuid.UUID
    appointment_id: uuid.UUID
    patient_id: uuid.UUID
    appointment_type: str
    session_starts_at: datetime
    tariff_codes: list[str]
    guarantee_code: str | None
    amount_minor: int
    currency: str
    helfo_fee_minor: int | None
    patient_share_minor: int | None
    helfo_refund_minor: int | None
    status: str
    invoice_id: uuid.UUID | None
    payment_method: str | None
    paid_at: datetime | None


class PaymentIn(BaseModel):
    method: Method


class InvoiceIn(BaseModel):
    card_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)


class InvoiceOut(BaseModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    total_minor: int
    currency: str
    status: str
    payment_method: str | None
    paid_at: datetime | None
    cards: list[CardOut]


def _card(card) -> CardOut:  # noqa: ANN001
    return CardOut.model_validate(card, from_attributes=True)


async def _invoice(session: DbSession, invoice) -> InvoiceOut:  # noqa: ANN001
    return InvoiceOut(id=invoice.id, patient_id=invoice.patient_id, total_minor=invoice.total_minor, currency=invoice.currency,
                      status=invoice.status, payment_method=invoice.payment_method, paid_at=invoice.paid_at,
                      cards=[_card(c) for c in await service.invoice_cards(session, invoice.id)])


@router.get("/billing-cards")
async def list_cards(session: DbSession, me: Practitioner, status: Literal["pay_later", "invoiced", "paid"] | None = None,
                     patient_id: uuid.UUID | None = None) -> list[CardOut]:
    """Your billing cards from closed group sessions; ``status=pay_later`` lists what is still to be paid."""
    return [_card(c) for c in await service.cards(session, me.account_id, status=status, patient_id=patient_id)]


@router.post("/billing-cards/{card_id}/payment")
async def take_payment(card_id: uuid.UUID, body: PaymentIn, session: DbSession, me: Practitioner) -> CardOut:
    return _card(await service.take_payment(session, me.account_id, card_id, body.method))


@router.post("/collective-invoices", status_code=201)
async def collective_invoice(body: InvoiceIn, session: DbSession, me: Practitioner) -> InvoiceOut:
    """Combine a patient's "pay later" cards into one invoice (samleregning)."""
    return await _invoice(session, await service.collective_invoice(session, me.account_id, body.card_ids))


@router.get("/collective-invoices/{invoice_id}")
async def get_invoice(invoice_id: uuid.UUID, session: DbSession, me: Practitioner) -> InvoiceOut:
    return await _invoice(session, await service.own_invoice(session, me.account_id, invoice_id))


@router.post("/collective-invoices/{invoice_id}/payment")
async def pay_invoice(invoice_id: uuid.UUID, body: PaymentIn, session: DbSession, me: Practitioner) -> InvoiceOut:
    return await _invoice(session, await service.pay_invoice(session, me.account_id, invoice_id, body.method))
