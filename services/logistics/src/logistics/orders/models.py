"""Orders and their lines. Stock is reserved on submit by a conditional update of the balance
(``quantity - reserved >= wanted``), so concurrent orders never take more than is available."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models import Base

ORDER_STATUSES = ("cart", "registered", "delivered", "cancelled")


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(f"status IN {ORDER_STATUSES}", name="order_status"),
        CheckConstraint("status = 'cart' OR case_number IS NOT NULL", name="submitted_order_has_case_number"),
        Index("one_cart_per_orderer_and_recipient", "orderer_id", "recipient_id", unique=True,
              postgresql_where=text("status = 'cart'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    case_number: Mapped[str | None] = mapped_column(String(8), unique=True)
    #: the prescriber ("förskrivare") and who placed the order ("beställare"); they can differ
    prescriber_id: Mapped[uuid.UUID] = mapped_column(index=True)
    orderer_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: the service unit the order is for (its name and code kept for printouts) and its municipality, the payer
    service_unit_id: Mapped[uuid.UUID | None]
    service_unit_code: Mapped[str | None] = mapped_column(Text)
    service_unit: Mapped[str] = mapped_column(Text)
    municipality_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    payer_code: Mapped[str | None] = mapped_column(Text)
    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recipients.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="cart")
    infection_flag: Mapped[bool] = mapped_column(Boolean)  # the recipient's default, overridable here
    delivery_address: Mapped[str | None] = mapped_column(Text)
    delivery_contact: Mapped[str | None] = mapped_column(Text)
    instructions: Mapped[str | None] = mapped_column(Text)
    joint_delivery: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str | None] = mapped_column(Text)
    payer: Mapped[str] = mapped_column(Text)  # the municipality's name
    our_reference: Mapped[str] = mapped_column(Text)  # the payer's reference on the invoice; the service unit by default
    planned_delivery: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="order_line_quantity"),
        CheckConstraint("source IN ('aid_centre', 'own_store')", name="order_line_source"),
        CheckConstraint("(article_id IS NULL) = (manual_text IS NOT NULL)", name="order_line_article_or_manual"),
        CheckConstraint("manual_text IS NULL OR length(coalesce(comment, '')) > 0", name="manual_line_has_comment"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("articles.id"))
    manual_text: Mapped[str | None] = mapped_column(Text)  # "MANUELL": an article outside the assortment
    quantity: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(10))
    warehouse_code: Mapped[str | None] = mapped_column(ForeignKey("warehouses.code"))
    #: per individual: [{"article_id", "quantity", "standard"}] — standard ones removable, others added
    components: Mapped[list] = mapped_column(JSONB, default=list)
    comment: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.clock_timestamp())
