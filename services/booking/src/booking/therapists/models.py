"""Therapists, their profile, weights per problem area and ticked contact reasons; the catalogues."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from booking.models import Base


class Therapist(Base):
    """A therapist account (gateway account id) and its application; everything but the five public
    fields of BK-4 is private."""

    __tablename__ = "therapists"
    __table_args__ = (CheckConstraint("status IN ('pending', 'authorised', 'rejected')", name="therapist_status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    name: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    licence_number: Mapped[str] = mapped_column(Text)
    agreement_version: Mapped[str] = mapped_column(Text)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    review_note: Mapped[str | None] = mapped_column(Text)
    # profile (BK-3, BK-5)
    presentation: Mapped[str | None] = mapped_column(Text)
    personal_information: Mapped[str | None] = mapped_column(Text)
    fee_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="SEK")
    experience: Mapped[str | None] = mapped_column(Text)
    way_of_working: Mapped[str | None] = mapped_column(Text)
    first_meeting: Mapped[str | None] = mapped_column(Text)
    education: Mapped[str | None] = mapped_column(Text)
    languages: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    bank_account: Mapped[str | None] = mapped_column(Text)
    video: Mapped[bool] = mapped_column(default=False)
    on_site: Mapped[bool] = mapped_column(default=True)
    reception_address: Mapped[str | None] = mapped_column(Text)
    time_zone: Mapped[str] = mapped_column(Text, default="Europe/Stockholm")
    photo: Mapped[bytes | None] = mapped_column(LargeBinary)
    photo_type: Mapped[str | None] = mapped_column(Text)


class ProblemArea(Base):
    __tablename__ = "problem_areas"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_sv: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)


class ProblemWeight(Base):
    __tablename__ = "problem_weights"
    __table_args__ = (CheckConstraint("weight BETWEEN 0 AND 10", name="weight_0_to_10"),)

    therapist_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("therapists.id"), primary_key=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("problem_areas.code"), primary_key=True)
    weight: Mapped[int] = mapped_column(Integer)


class ContactReason(Base):
    """A tree: reasons with sub-categories (``parent_code``)."""

    __tablename__ = "contact_reasons"

    code: Mapped[str] = mapped_column(Text, primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("contact_reasons.code"))
    name_sv: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)


class TherapistReason(Base):
    __tablename__ = "therapist_reasons"

    therapist_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("therapists.id"), primary_key=True)
    reason_code: Mapped[str] = mapped_column(ForeignKey("contact_reasons.code"), primary_key=True)
