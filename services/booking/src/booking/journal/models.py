"""Journal notes (encrypted), their history and consents. The audit of every read and write is kit.audit's
(table audit_trail, migration 0009)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from booking.models import Base


class JournalNote(Base):
    """A note: only ciphertext, its wrapped data key and the key's id are stored (AES-GCM, bound to the
    note and client ids)."""

    __tablename__ = "journal_notes"
    __table_args__ = (CheckConstraint("kind IN ('clinical', 'administrative')", name="note_kind"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(index=True)
    author_id: Mapped[uuid.UUID] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(15), default="clinical")
    key_id: Mapped[str] = mapped_column(Text)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NoteVersion(Base):
    """Earlier versions of edited notes (JR-3: administrative notes keep their history)."""

    __tablename__ = "journal_note_versions"

    note_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journal_notes.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(Text)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    edited_by: Mapped[uuid.UUID]
    replaced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Consent(Base):
    """JR-2: a therapist asks the client to read notes of the named earlier therapists."""

    __tablename__ = "journal_consents"
    __table_args__ = (CheckConstraint("status IN ('pending', 'approved', 'denied', 'withdrawn')", name="consent_status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(index=True)
    requester_id: Mapped[uuid.UUID] = mapped_column(index=True)
    author_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid))
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
