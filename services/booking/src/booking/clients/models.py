"""Clients of therapists, questionnaires, invitations, and a directory of names (from the gateway)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from booking.models import Base


class Person(Base):
    """Name and contact details of an account, as the gateway publishes them."""

    __tablename__ = "people"

    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)


class ClientOf(Base):
    """A client on a therapist's list (BK-9): came through matching and booked, was invited, or was created."""

    __tablename__ = "clients_of_therapists"
    __table_args__ = (CheckConstraint("origin IN ('matched', 'invited', 'created')", name="client_origin"),)

    therapist_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("therapists.id"), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(10))
    information: Mapped[str | None] = mapped_column(Text)  # the therapist's "client information" field
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Questionnaire(Base):
    __tablename__ = "questionnaires"

    client_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    scores: Mapped[dict] = mapped_column(JSONB)
    reason_code: Mapped[str] = mapped_column(ForeignKey("contact_reasons.code"))
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Invitation(Base):
    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint("status IN ('pending', 'accepted', 'used')", name="invitation_status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    therapist_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("therapists.id"), index=True)
    email: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    client_id: Mapped[uuid.UUID | None]
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
