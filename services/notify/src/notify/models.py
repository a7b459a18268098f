"""Notify's tables: the recipient directory, the delivery log (which is also the send queue and the
schedule), and the development mailbox and SMS outbox."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, Index, Integer, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Recipient(Base):
    """Contact details of an account, as the gateway publishes them (never identity numbers)."""

    __tablename__ = "recipients"

    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2), default="sv")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


MESSAGE_STATUSES = ("queued", "sent", "failed", "replaced", "withdrawn")


class Message(Base):
    """One email or SMS: queued → sent, or failed (permanently, or after ``max_attempts``), or replaced
    by a newer scheduled version. ``due_at`` makes it a schedule; ``schedule_key`` lets a later change
    replace a pending message instead of adding one. The same event never makes the same message twice."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(f"status IN {MESSAGE_STATUSES}", name="message_status"),
        CheckConstraint("channel IN ('email', 'sms')", name="message_channel"),
        UniqueConstraint("source_event_id", "template", "recipient", name="one_message_per_event_and_recipient"),
        Index("one_pending_per_schedule_key", "schedule_key", unique=True,
              postgresql_where=text("status = 'queued' AND schedule_key IS NOT NULL")),
        Index("due_messages", "due_at", postgresql_where=text("status = 'queued'")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    channel: Mapped[str] = mapped_column(String(5))
    recipient: Mapped[str] = mapped_column(Text)  # account id, or the address itself when sent to an address
    to_address: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str | None] = mapped_column(Text)
    #: What is sent. Messages carrying a secret (a login code, a temporary password) keep only a redacted
    #: body once sent.
    body: Mapped[str] = mapped_column(Text)
    secret: Mapped[bool] = mapped_column(default=False)
    source_event_id: Mapped[uuid.UUID]
    source_event_type: Mapped[str] = mapped_column(Text)
    #: When the source event happened: a scheduled message is replaced only by a later change.
    source_occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    schedule_key: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_reference: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DevMail(Base):
    """What the development SMTP sink received (development and tests only)."""

    __tablename__ = "dev_mailbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    mail_from: Mapped[str] = mapped_column(Text)
    rcpt_to: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)


class DevSms(Base):
    """What the development SMS adapter stored instead of sending."""

    __tablename__ = "dev_sms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    to_number: Mapped[str] = mapped_column(Text)
    sender: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
