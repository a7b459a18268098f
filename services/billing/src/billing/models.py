"""Billing's tables: payments, the append-only record of money movements, processed provider webhooks,
and the development provider stub's own store (which stands in for the provider's systems)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


PAYMENT_STATUSES = ("pending", "processing", "failed", "captured", "voided", "refund_pending", "refunded")


class Payment(Base):
    """The client's advance payment for one booking (BL-1)."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(f"status IN {PAYMENT_STATUSES}", name="payment_status"),
        CheckConstraint("amount_minor >= 0", name="payment_amount_not_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    booking_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    client_id: Mapped[uuid.UUID] = mapped_column(index=True)
    therapist_id: Mapped[uuid.UUID] = mapped_column(index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    provider_payment_id: Mapped[str] = mapped_column(Text, unique=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    hold_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    refund_reason: Mapped[str | None] = mapped_column(Text)
    #: The saga's correlation id (from BookingRequested), carried by every event about this payment,
    #: including those caused by the provider's webhooks.
    correlation_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )


class MoneyMovement(Base):
    """Append-only: every amount that moved, in minor units (a trigger refuses UPDATE and DELETE).
    One capture and at most one refund per payment: money never moves twice."""

    __tablename__ = "money_movements"
    __table_args__ = (
        UniqueConstraint("payment_id", "kind", name="one_movement_of_each_kind"),
        CheckConstraint("kind IN ('capture', 'refund')", name="movement_kind"),
        CheckConstraint("amount_minor > 0", name="movement_amount_positive"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    provider_reference: Mapped[str] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProviderEvent(Base):
    """Webhook events already processed, by the provider's event id (a redelivery changes nothing)."""

    __tablename__ = "provider_events"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    type: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


# -- the development provider stub's store -------------------------------------------------------------
class StubPayment(Base):
    __tablename__ = "stub_provider_payments"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(Text, unique=True)
    reference: Mapped[str] = mapped_column(Text)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(30))  # requires_payment, processing, succeeded, failed, canceled
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StubRefund(Base):
    __tablename__ = "stub_provider_refunds"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(Text, unique=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("stub_provider_payments.id"))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(30))


class StubWebhook(Base):
    """Webhooks the stub still has to deliver (it retries until our endpoint answers 2xx)."""

    __tablename__ = "stub_provider_webhooks"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(Text, unique=True)
    payload: Mapped[dict] = mapped_column(JSONB)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
