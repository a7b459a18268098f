"""Warehouses, balances, individuals with their history, and replenishment orders."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from logistics.models import Base

INDIVIDUAL_STATUSES = ("in_stock", "delivered", "in_repair", "scrapped")


class Warehouse(Base):
    """The aid centre's warehouses (100, 200, …) and municipalities' own buffer stores."""

    __tablename__ = "warehouses"
    __table_args__ = (CheckConstraint("kind IN ('aid_centre', 'buffer_store')", name="warehouse_kind"),)

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(12))
    municipality: Mapped[str | None] = mapped_column(Text)


class StockBalance(Base):
    """Quantity of an article in a warehouse; may be negative (delivered before it was received)."""

    __tablename__ = "stock_balances"

    warehouse_code: Mapped[str] = mapped_column(ForeignKey("warehouses.code"), primary_key=True)
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id"), primary_key=True, index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=0)
    #: held by submitted orders until delivery (LG-11); available = quantity - reserved
    reserved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Individual(Base):
    """A serial-tracked device (LG-8)."""

    __tablename__ = "individuals"
    __table_args__ = (
        CheckConstraint(f"status IN {INDIVIDUAL_STATUSES}", name="individual_status"),
        CheckConstraint("(status = 'delivered') = (recipient_id IS NOT NULL)", name="delivered_individual_has_recipient"),
        # substring search over individual and serial numbers (LG-8)
        Index("individuals_number_trgm", "number", postgresql_using="gin", postgresql_ops={"number": "gin_trgm_ops"}),
        Index("individuals_serial_trgm", "serial_number", postgresql_using="gin", postgresql_ops={"serial_number": "gin_trgm_ops"}),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(30), unique=True)
    serial_number: Mapped[str] = mapped_column(Text, index=True)
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="in_stock")
    stock_status: Mapped[str] = mapped_column(String(20), default="ready")  # ready, needs cleaning, needs repair …
    warehouse_code: Mapped[str | None] = mapped_column(ForeignKey("warehouses.code"), index=True)
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("recipients.id"), index=True)
    purchase_date: Mapped[date | None] = mapped_column(Date)
    acquisition_value_minor: Mapped[int | None] = mapped_column(BigInteger)
    warranty_until: Mapped[date | None] = mapped_column(Date)
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class IndividualEvent(Base):
    """The individual's history: every status change, recipient and activity."""

    __tablename__ = "individual_events"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    individual_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("individuals.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    kind: Mapped[str] = mapped_column(Text)  # registered, delivered, returned, number changed, …
    detail: Mapped[str] = mapped_column(Text, default="")
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    actor_id: Mapped[uuid.UUID]


class ReplenishmentOrder(Base):
    """LG-7: a stock replenishment order from the aid centre to an own buffer store."""

    __tablename__ = "replenishment_orders"
    __table_args__ = (CheckConstraint("status IN ('registered', 'delivered', 'cancelled')", name="replenishment_status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_number: Mapped[str] = mapped_column(String(8), unique=True)
    warehouse_code: Mapped[str] = mapped_column(ForeignKey("warehouses.code"))
    status: Mapped[str] = mapped_column(String(10), default="registered")
    created_by: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ReplenishmentLine(Base):
    __tablename__ = "replenishment_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="replenishment_quantity"),)

    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("replenishment_orders.id", ondelete="CASCADE"), primary_key=True)
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)


def available() -> ColumnElement[int]:
    """What an order can still reserve in a store: the balance less what submitted orders hold, never below
    zero. Search, replacements and orders all show and check this one figure."""
    return func.greatest(StockBalance.quantity - StockBalance.reserved, 0)
