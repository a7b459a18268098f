"""Activities and deviations (their attachments: ``logistics.attachments``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String, Text, Uuid, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models import Base

ACTIVITY_TYPES = ("adjustment", "repair", "spare_part", "buffer_repair", "bed_move", "ceiling_lift_move", "urgent_transport",
                  "power_wheelchair_pickup", "consultant_case", "special_adaptation", "regional_bed_handling")
DEVIATION_TYPES = ("negative_event", "near_miss", "complaint")


class Activity(Base):
    """LG-14: a work order on an aid; one linked to an order blocks that order's delivery until closed."""

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint(f"activity_type IN {ACTIVITY_TYPES}", name="activity_type"),
        CheckConstraint("priority IN ('normal', 'high', 'urgent')", name="activity_priority"),
        CheckConstraint("status IN ('open', 'closed')", name="activity_status"),
        CheckConstraint("status = 'open' OR work_done IS NOT NULL", name="closed_activity_reports_work"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_number: Mapped[str] = mapped_column(String(8), unique=True)
    activity_type: Mapped[str] = mapped_column(String(30))
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    status: Mapped[str] = mapped_column(String(10), default="open")
    prescriber_id: Mapped[uuid.UUID] = mapped_column(index=True)
    service_unit_id: Mapped[uuid.UUID | None]
    service_unit_code: Mapped[str | None] = mapped_column(Text)
    service_unit: Mapped[str] = mapped_column(Text)
    municipality_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("recipients.id"), index=True)
    individual_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("individuals.id"), index=True)
    article_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("articles.id"))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id"), index=True)
    infection_flag: Mapped[bool] = mapped_column(Boolean)
    description: Mapped[str] = mapped_column(Text)  # wanted action / fault description
    comment: Mapped[str | None] = mapped_column(Text)
    address_instruction: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    work_done: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Deviation(Base):
    """LG-15: a negative event, near miss or complaint, optionally about some aids."""

    __tablename__ = "deviations"
    __table_args__ = (CheckConstraint(f"event_type IN {DEVIATION_TYPES}", name="deviation_event_type"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_number: Mapped[str] = mapped_column(String(8), unique=True)
    event_type: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    prescriber_id: Mapped[uuid.UUID] = mapped_column(index=True)
    service_unit_id: Mapped[uuid.UUID | None]
    service_unit_code: Mapped[str | None] = mapped_column(Text)
    service_unit: Mapped[str] = mapped_column(Text)
    municipality_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("recipients.id"), index=True)
    individual_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
