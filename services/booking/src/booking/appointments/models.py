"""Appointment types, week templates, appointments and the patients on them.

The database guards what concurrency could break: an appointment never has more booked patients than
seats, and seats never drop below the booked count (triggers that lock the appointment row), and a
practitioner's live appointments never overlap (exclusion constraint). See migration 0005.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    SmallInteger,
    String,
    Text,
    Time,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from booking.models import Base

APPOINTMENT_STATUSES = ("scheduled", "cancelled", "closed")


class AppointmentType(Base):
    """GR-1: what can be booked: length, single or group (with seats), online, notifications, fees."""

    __tablename__ = "appointment_types"
    __table_args__ = (
        CheckConstraint("kind IN ('single', 'group')", name="appointment_type_kind"),
        CheckConstraint("(kind = 'single' AND seats = 1) OR (kind = 'group' AND seats >= 2)", name="appointment_type_seats"),
        CheckConstraint("length_minutes BETWEEN 5 AND 720", name="appointment_type_length"),
        CheckConstraint("extra_fee_minor >= 0", name="appointment_type_fee_not_negative"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    practitioner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: the clinic whose book it is (kit.directory); NULL for rows made before clinics were recorded
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(Text)
    length_minutes: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(6))
    seats: Mapped[int] = mapped_column(Integer, default=1)
    bookable_online: Mapped[bool] = mapped_column(Boolean, default=False)
    notifications: Mapped[bool] = mapped_column(Boolean, default=True)
    helfo: Mapped[bool] = mapped_column(Boolean, default=False)
    tariff_codes: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    extra_fee_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="NOK")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class WeekTemplate(Base):
    """GR-2: types placed on weekdays and local times, in the clinic's time zone."""

    __tablename__ = "week_templates"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    practitioner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: the clinic whose book it is (kit.directory); NULL for rows made before clinics were recorded
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    name: Mapped[str] = mapped_column(Text)
    time_zone: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class TemplateEntry(Base):
    __tablename__ = "week_template_entries"
    __table_args__ = (CheckConstraint("weekday BETWEEN 0 AND 6", name="template_entry_weekday"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    template_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("week_templates.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(SmallInteger)  # 0 = Monday, as ISO and Python count
    starts: Mapped[time] = mapped_column(Time)  # local wall-clock time
    type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointment_types.id"))


class Appointment(Base):
    """An appointment in the book (GR-3..GR-8); ``generated_from`` makes template generation idempotent."""

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint(f"status IN {APPOINTMENT_STATUSES}", name="appointment_status"),
        CheckConstraint("ends_at > starts_at", name="appointment_has_length"),
        CheckConstraint("seats >= 1", name="appointment_has_seats"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    practitioner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: the clinic whose book it is (kit.directory); NULL for rows made before clinics were recorded
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    type_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointment_types.id"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    time_zone: Mapped[str] = mapped_column(Text)
    seats: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="scheduled")
    generated_from: Mapped[str | None] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AppointmentPatient(Base):
    """A patient on an appointment: booked or cancelled (GR-8), checked in/out (GR-6), the closing (GR-7)."""

    __tablename__ = "appointment_patients"
    __table_args__ = (CheckConstraint("status IN ('booked', 'cancelled')", name="appointment_patient_status"),)

    appointment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), primary_key=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="booked")
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    checked_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attended: Mapped[bool | None]
    billed: Mapped[bool | None]
    guarantee_code: Mapped[str | None] = mapped_column(Text)
    note_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("journal_notes.id"))  # the group note in the journal
