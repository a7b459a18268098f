"""Recipients and what they hold. The personal identity number is stored to find the patient again (and never
leaves this database: events carry the recipient's id, logs and printouts for suppliers a masked form).
A delivered aid without an individual number (an accessory, a purchased aid, a consumable) is a **holding**
of the recipient (LG-21): article and quantity, the order and line it came from, delivered and ended when
nothing is left; its history in ``holding_events``."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models import Base


class Recipient(Base):
    __tablename__ = "recipients"
    __table_args__ = (
        CheckConstraint("kind IN ('patient', 'care_unit')", name="recipient_kind"),
        CheckConstraint("(kind = 'patient') = (personal_number IS NOT NULL) AND (kind = 'care_unit') = (care_unit_number IS NOT NULL)",
                        name="recipient_identified"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(10))
    personal_number: Mapped[str | None] = mapped_column(String(12), unique=True)
    care_unit_number: Mapped[str | None] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(Text)
    # from the population register; not editable here
    street: Mapped[str] = mapped_column(Text, default="")
    postal_code: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str] = mapped_column(Text, default="")
    # editable
    phone: Mapped[str | None] = mapped_column(Text)
    door_code: Mapped[str | None] = mapped_column(Text)
    #: "the prescriber must be contacted": the default of orders, activities and pickups for this recipient
    infection_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RecipientMunicipality(Base):
    """A recipient belongs to every municipality in whose service units it was registered or prescribed for:
    their prescribers see it; the aid-centre staff of the region see all."""

    __tablename__ = "recipient_municipalities"

    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recipients.id", ondelete="CASCADE"), primary_key=True)
    municipality_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Holding(Base):
    """LG-21: non-serial aids the recipient has, from one delivered order line; the service unit and payer are
    the order's. Picked up or returned by quantity (consumables excepted, LG-18); at 0 it ends and is kept."""

    __tablename__ = "holdings"
    __table_args__ = (
        CheckConstraint("quantity >= 0 AND quantity <= delivered_quantity", name="holding_quantity"),
        CheckConstraint("(quantity = 0) = (ended_at IS NOT NULL)", name="holding_ended_at_zero"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recipients.id"), index=True)
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id"), index=True)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("order_lines.id"), unique=True)
    delivered_quantity: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)  # held now
    delivered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    service_unit_id: Mapped[uuid.UUID | None]
    service_unit_code: Mapped[str | None] = mapped_column(Text)
    service_unit: Mapped[str] = mapped_column(Text)
    municipality_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    payer_code: Mapped[str | None] = mapped_column(Text)
    payer: Mapped[str] = mapped_column(Text)


class HoldingEvent(Base):
    """A holding's history: delivered, picked up, returned, scrapped, deregistered — each with its quantity."""

    __tablename__ = "holding_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    holding_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("holdings.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.clock_timestamp())
    kind: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[uuid.UUID]
