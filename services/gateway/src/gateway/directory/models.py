"""The directory's tables: organisations (a tree: region → aid centre, municipality → service unit, buffer
store; clinics and care organisations stand alone), memberships (an account's role in an organisation), and
what the gateway learned from booking about therapists' applications (only an authorised one makes clients)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models import Base


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (UniqueConstraint("kind", "code", name="organisations_kind_code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    code: Mapped[str] = mapped_column(Text)
    name: Mapped[str] = mapped_column(Text)
    time_zone: Mapped[str] = mapped_column(Text, default="Europe/Stockholm")
    active: Mapped[bool] = mapped_column(default=True)


class Membership(Base):
    """An account holds ``role`` in an organisation (and, for a region or municipality, in those below it)."""

    __tablename__ = "memberships"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    granted_by: Mapped[uuid.UUID | None]
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TherapistReview(Base):
    """The last review of a therapist's application, as booking announced it (TherapistAuthorised,
    TherapistApplicationRejected). No row: never authorised."""

    __tablename__ = "therapist_reviews"

    therapist_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    authorised: Mapped[bool]
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
