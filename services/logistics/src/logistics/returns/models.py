"""Pickups, return receipts and returns."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String, Text, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models import Base

PICKUP_REASONS = ("aid_centre", "bed", "ceiling_lift_supplier", "returned_not_deregistered")


class Pickup(Base):
    """LG-12: a pickup order. Its reason decides who fetches and which printout goes with the aids."""

    __tablename__ = "pickups"
    __table_args__ = (
        CheckConstraint(f"reason IN {PICKUP_REASONS}", name="pickup_reason"),
        CheckConstraint("status IN ('registered', 'done', 'cancelled')", name="pickup_status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_number: Mapped[str] = mapped_column(String(8), unique=True)
    prescriber_id: Mapped[uuid.UUID] = mapped_column(index=True)
    service_unit_id: Mapped[uuid.UUID | None]
    service_unit_code: Mapped[str | None] = mapped_column(Text)
    service_unit: Mapped[str] = mapped_column(Text)
    municipality_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recipients.id"), index=True)
    reason: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10), default="registered")
    individual_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    #: aids without individual numbers, by the recipient's holding: [{"holding_id", "article_id", "quantity"}]
    articles: Mapped[list] = mapped_column(JSONB, default=list)
    pickup_address: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text)
    instructions: Mapped[str | None] = mapped_column(Text)  # door code, directions: what helps the drivers
    infection_flag: Mapped[bool] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReturnReceipt(Base):
    """LG-10/LG-13: printed before a return; the return names the receipt that covers its aids."""

    __tablename__ = "return_receipts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    #: The number printed on the receipt, a case number (YYWWNNNN), which the clerk types in at the return
    number: Mapped[str] = mapped_column(String(8), unique=True)
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recipients.id"), index=True)
    individual_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    #: non-serial aids handed back: [{"holding_id", "article_id", "quantity"}]
    holdings: Mapped[list] = mapped_column(JSONB, default=list, server_default="[]")
    printed_by: Mapped[uuid.UUID]
    municipality_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    printed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
