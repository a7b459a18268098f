"""Slots and calendar feeds. A therapist's slots never overlap: PostgreSQL enforces it with an exclusion
constraint over the time range (migration), not only Python."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from booking.models import Base

SLOT_STATUSES = ("free", "held", "booked")
AUDIENCES = ("everyone", "existing_clients", "invited")


class Slot(Base):
    __tablename__ = "slots"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="slot_has_length"),
        CheckConstraint(f"status IN {SLOT_STATUSES}", name="slot_status"),
        CheckConstraint(f"audience IN {AUDIENCES}", name="slot_audience"),
        CheckConstraint("video OR on_site", name="slot_has_a_form"),
        CheckConstraint("price_minor >= 0", name="slot_price_not_negative"),
        CheckConstraint("audience <> 'invited' OR invited_client_id IS NOT NULL", name="invited_slot_names_client"),
        Index("slots_by_time", "therapist_id", "starts_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    therapist_id: Mapped[uuid.UUID] = mapped_column(index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    video: Mapped[bool] = mapped_column(Boolean)
    on_site: Mapped[bool] = mapped_column(Boolean)
    audience: Mapped[str] = mapped_column(String(20), default="everyone")
    invited_client_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(String(10), default="free")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CalendarFeed(Base):
    """A secret, revocable iCalendar URL per therapist; only the token's hash is stored."""

    __tablename__ = "calendar_feeds"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    therapist_id: Mapped[uuid.UUID] = mapped_column(index=True)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
