"""Bookings of slots. At most one live booking per slot (partial unique index), whatever the race."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Index, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from booking.models import Base

BOOKING_STATUSES = ("pending_payment", "confirmed", "cancelled", "expired")


class Booking(Base):
    __tablename__ = "bookings"
    __table_args__ = (
        CheckConstraint(f"status IN {BOOKING_STATUSES}", name="booking_status"),
        CheckConstraint("payment IN ('platform', 'outside')", name="booking_payment"),
        Index("one_live_booking_per_slot", "slot_id", unique=True,
              postgresql_where=text("status IN ('pending_payment', 'confirmed')")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: NULL once the (free again) slot was deleted; the booking keeps its own times and price.
    slot_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("slots.id", ondelete="SET NULL"), index=True)
    therapist_id: Mapped[uuid.UUID] = mapped_column(index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    video: Mapped[bool]
    on_site: Mapped[bool]
    status: Mapped[str] = mapped_column(String(20))
    booked_by: Mapped[str] = mapped_column(String(10))  # client | therapist
    payment: Mapped[str] = mapped_column(String(10), default="platform")
    hold_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(10))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    refund: Mapped[bool | None]
    therapist_paid: Mapped[bool | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())
