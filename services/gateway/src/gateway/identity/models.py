"""The gateway's identity tables. Personal identity numbers are never stored in clear: an HMAC (for
look-up) and a masked form (for display) are. The audit log is append-only (a trigger refuses changes)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models import Base

ROLES = ("admin", "therapist", "client", "representative", "care_coordinator", "prescriber", "aid_centre_staff")


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    display_name: Mapped[str] = mapped_column(Text)
    roles: Mapped[list[str]] = mapped_column(ARRAY(Text))
    email: Mapped[str | None] = mapped_column(Text, unique=True)
    phone: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2), default="sv")
    username: Mapped[str | None] = mapped_column(Text, unique=True)
    password_hash: Mapped[str | None] = mapped_column(Text)
    must_change_password: Mapped[bool] = mapped_column(default=False)
    #: A temporary password is refused after this (GATEWAY_TEMPORARY_PASSWORD_TTL_S); none for chosen ones
    temporary_password_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    personal_number_hmac: Mapped[str | None] = mapped_column(Text, unique=True)
    personal_number_masked: Mapped[str | None] = mapped_column(Text)
    hsa_id: Mapped[str | None] = mapped_column(Text, unique=True)
    terms_version: Mapped[str | None] = mapped_column(Text)
    terms_accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    #: When the person confirmed, on their own BankID login, an account someone else made with their
    #: personal number (recovery.bankid_claim); until then such a login is only offered the account
    bankid_confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Representation(Base):
    """A legal representative acts for a client (GW-6)."""

    __tablename__ = "representations"

    representative_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), primary_key=True)


class CodeAttempt(Base):
    """A password login waiting for its SMS code: the code's hash, its expiry and the wrong tries."""

    __tablename__ = "code_attempts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    code_hash: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    wrong_tries: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(10), default="open")  # open, used, dead
    ip: Mapped[str] = mapped_column(Text, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


class BankIdOrder(Base):
    """The BankID stub's orders (the relying-party API's state, kept like the real service keeps it)."""

    __tablename__ = "bankid_orders"

    order_ref: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    auto_start_token: Mapped[str] = mapped_column(Text)
    qr_start_token: Mapped[str] = mapped_column(Text)
    qr_start_secret: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, complete, failed
    hint_code: Mapped[str] = mapped_column(Text, default="outstandingTransaction")
    personal_number_hmac: Mapped[str | None] = mapped_column(Text)
    personal_number_masked: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    collected: Mapped[bool] = mapped_column(default=False)


class RefreshToken(Base):
    """Rotating refresh tokens: each use gives a new one in the same family; using an old one again
    revokes the whole family (reuse means it was stolen)."""

    __tablename__ = "refresh_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    acting_for: Mapped[uuid.UUID | None]
    limited: Mapped[bool] = mapped_column(default=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Every login, failure, lock-out, password change, terms acceptance, logout and token reuse."""

    __tablename__ = "login_audit"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    account_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    event: Mapped[str] = mapped_column(Text)
    method: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)


class PasswordReset(Base):
    """A forgotten password (recovery.py): the emailed link's token hash, single use, expiring; where the
    account has a mobile number the chosen password waits (hashed) for the SMS code."""

    __tablename__ = "password_resets"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(10), default="open")  # open, code (waiting for it), used, dead
    new_password_hash: Mapped[str | None] = mapped_column(Text)
    code_hash: Mapped[str | None] = mapped_column(Text)
    code_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    wrong_tries: Mapped[int] = mapped_column(Integer, default=0)
    ip: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


class ContactVerification(Base):
    """An email or phone being added to an account: it counts only once its code (or, for an email, the
    link) is confirmed. ``taken``: the email is another account's; no code was sent, nothing can confirm it."""

    __tablename__ = "contact_verifications"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(5))  # email, phone
    value: Mapped[str] = mapped_column(Text)
    code_hash: Mapped[str] = mapped_column(Text)
    link_token_hash: Mapped[str | None] = mapped_column(Text, unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    wrong_tries: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(10), default="open")  # open, taken, used, dead
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)


class BankIdClaim(Base):
    """A BankID login whose personal number matches an account someone else made and the person never
    confirmed: the login waits for the person to confirm or decline it (recovery.bankid_claim)."""

    __tablename__ = "bankid_claims"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(10), default="open")  # open, confirmed, declined
