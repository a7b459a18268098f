"""HTTP models of bookings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict


class BookingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    slot_id: uuid.UUID | None
    therapist_id: uuid.UUID
    client_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    price_minor: int
    currency: str
    video: bool
    on_site: bool
    status: str
    booked_by: str
    payment: str
    hold_expires_at: datetime | None
    cancelled_by: str | None
    refund: bool | None


class BookForClientIn(BaseModel):
    client_id: uuid.UUID
    payment: Literal["client_pays", "paid_outside"] = "client_pays"


class CancelOut(BaseModel):
    booking: BookingOut
    refund: bool
    therapist_paid: bool
    rule: str
