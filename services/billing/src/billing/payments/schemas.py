"""HTTP request and response models of payments (never event contracts)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class MoneyOut(BaseModel):
    amount_minor: int
    currency: str


class PaymentOut(BaseModel):
    id: uuid.UUID
    booking_id: uuid.UUID
    status: str
    amount: MoneyOut
    starts_at: datetime
    hold_expires_at: datetime
    failure_reason: str | None
    refund_reason: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, payment: Any) -> PaymentOut:
        fields = {name: getattr(payment, name) for name in cls.model_fields if name != "amount"}
        return cls(**fields, amount=MoneyOut(amount_minor=payment.amount_minor, currency=payment.currency))


class PayIn(BaseModel):
    payment_method: str = Field(
        min_length=1, max_length=100, description="The provider's payment method token (stub: stub_card_ok, stub_card_declined)"
    )


class MovementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    amount_minor: int
    currency: str
    provider_reference: str
    occurred_at: datetime
