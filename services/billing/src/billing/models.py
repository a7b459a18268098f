"""Billing's tables: payments, the append-only record of money movements, processed provider webhooks,
and the development provider stub's own store (which stands in for the provider's systems)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
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
    #: The therapist's time zone (from BookingRequested): mails show the session's time in it
    time_zone: Mapped[str] = mapped_column(Text, default="Europe/Stockholm", server_default="Europe/Stockholm")
    hold_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    refund_reason: Mapped[str | None] = mapped_column(Text)
    #: Set when booking cancelled the session: who cancelled, and whether the therapist is paid anyway.
    cancelled_by: Mapped[str | None] = mapped_column(String(10))
    therapist_paid_on_cancel: Mapped[bool | None]
    #: The saga's correlation id (from BookingRequested), carried by every event about this payment,
    #: including those caused by the provider's webhooks.
    correlation_id: Mapped[uuid.UUID | None]
    #: The trace of the client's "pay" request; the provider's webhook continues it (one trace per booking)
    trace_context: Mapped[dict | None] = mapped_column(JSONB)
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


# -- the ledger and payouts (BL-3, BL-4) ----------------------------------------------------------------
class LedgerTransaction(Base):
    """One business fact (a capture, a refund, a session earned, a payout), written once per ``key``."""

    __tablename__ = "ledger_transactions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    payment_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    therapist_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class LedgerEntry(Base):
    """A posting: positive is a debit, negative a credit. A deferred trigger checks that every
    transaction's postings sum to zero at commit; the table is append-only."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    transaction_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account: Mapped[str] = mapped_column(Text, index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))


class TherapistAccount(Base):
    """What billing needs to pay a therapist: the bank account on their profile and their agreement."""

    __tablename__ = "therapist_accounts"

    therapist_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    bank_account: Mapped[str | None] = mapped_column(Text)
    commission_bp: Mapped[int] = mapped_column(Integer, default=1500)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


class Person(Base):
    """Display names of accounts (from the gateway's contact-details events), for reports."""

    __tablename__ = "people"

    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(Text)


class EarnedSession(Base):
    """A held (or late-cancelled) session whose fee is split into commission and the therapist's share.
    ``payout_id`` is set once the share has been paid out."""

    __tablename__ = "earned_sessions"

    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id"), primary_key=True)
    therapist_id: Mapped[uuid.UUID] = mapped_column(index=True)
    fee_minor: Mapped[int] = mapped_column(BigInteger)
    commission_minor: Mapped[int] = mapped_column(BigInteger)
    net_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    earned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    payout_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payouts.id"), index=True)


class PayoutRun(Base):
    """One run per month ('YYYY-MM'): a second run of the same month pays nothing."""

    __tablename__ = "payout_runs"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    triggered_by: Mapped[str] = mapped_column(Text)


class Payout(Base):
    """A transfer to one therapist in one run; its lines are the earned sessions it pays."""

    __tablename__ = "payouts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(ForeignKey("payout_runs.month"), index=True)
    therapist_id: Mapped[uuid.UUID] = mapped_column(index=True)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    bank_account: Mapped[str] = mapped_column(Text)
    bank_reference: Mapped[str] = mapped_column(Text)
    paid_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


CARD_STATUSES = ("pay_later", "invoiced", "paid")


class BillingCard(Base):
    """BL-7: one attended patient of a closed group session, to be paid later, on the spot or on a
    collective invoice. HELFO tariff codes and the guarantee (exemption) code come with it; the
    problem/diagnosis stays in booking's journal."""

    __tablename__ = "billing_cards"
    __table_args__ = (
        CheckConstraint(f"status IN {CARD_STATUSES}", name="billing_card_status"),
        CheckConstraint("amount_minor >= 0", name="billing_card_amount_not_negative"),
        UniqueConstraint("appointment_id", "patient_id", name="one_card_per_patient_and_session"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    appointment_id: Mapped[uuid.UUID]
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    practitioner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    appointment_type: Mapped[str] = mapped_column(Text)
    session_starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    tariff_codes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    guarantee_code: Mapped[str | None] = mapped_column(Text)
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # what the patient pays
    currency: Mapped[str] = mapped_column(String(3))
    #: HELFO settlement of the tariffs: fee = patient's share + HELFO's refund (None without HELFO)
    helfo_fee_minor: Mapped[int | None] = mapped_column(BigInteger)
    patient_share_minor: Mapped[int | None] = mapped_column(BigInteger)
    helfo_refund_minor: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default="pay_later")
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("collective_invoices.id"))
    payment_method: Mapped[str | None] = mapped_column(String(20))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class CollectiveInvoice(Base):
    """BL-7: several "pay later" cards of one patient combined into one invoice (samleregning)."""

    __tablename__ = "collective_invoices"
    __table_args__ = (CheckConstraint("status IN ('open', 'paid')", name="collective_invoice_status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    practitioner_id: Mapped[uuid.UUID] = mapped_column(index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(index=True)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(10), default="open")
    payment_method: Mapped[str | None] = mapped_column(String(20))
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class InvoiceCounter(Base):
    """Running invoice numbers per month (one upsert per new specification)."""

    __tablename__ = "invoice_counters"

    period: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class InvoiceSpecification(Base):
    """BL-8: the basis of one invoice — a payer (municipality), a month, a type and the seller."""

    __tablename__ = "invoice_specifications"
    __table_args__ = (
        CheckConstraint("kind IN ('aid_centre', 'other_municipality', 'internal')", name="invoice_specification_kind"),
        UniqueConstraint("payer", "period", "kind", "seller", name="one_specification_per_payer_period_kind_seller"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    invoice_number: Mapped[str] = mapped_column(String(8), unique=True)
    payer: Mapped[str] = mapped_column(Text, index=True)
    period: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    seller: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Rental(Base):
    """A rented aid out with a recipient: invoiced as monthly rent from its delivery until it comes back."""

    __tablename__ = "rentals"
    __table_args__ = (UniqueConstraint("source_event_id", "line_index", "individual_number", name="one_rental_per_delivered_aid"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    payer: Mapped[str] = mapped_column(Text, index=True)
    seller: Mapped[str] = mapped_column(Text)
    case_number: Mapped[str] = mapped_column(String(8))
    our_reference: Mapped[str] = mapped_column(Text)
    article_number: Mapped[str] = mapped_column(Text)
    individual_number: Mapped[str] = mapped_column(Text, index=True, default="")  # "" for aids that are not individual-marked
    quantity: Mapped[int] = mapped_column(Integer)
    monthly_rent_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    source_event_id: Mapped[uuid.UUID]
    line_index: Mapped[int] = mapped_column(Integer)


class SpecificationLine(Base):
    __tablename__ = "invoice_specification_lines"
    __table_args__ = (
        UniqueConstraint("source_event_id", "line_index", name="one_line_per_event_line"),
        UniqueConstraint("rental_id", "rent_month", name="one_rent_line_per_rental_and_month"),
        CheckConstraint("line_kind IN ('purchase', 'rent')", name="specification_line_kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    specification_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoice_specifications.id"), index=True)
    line_kind: Mapped[str] = mapped_column(String(8), default="purchase", server_default="purchase")
    source_event_id: Mapped[uuid.UUID | None]
    line_index: Mapped[int | None] = mapped_column(Integer)
    rental_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("rentals.id"))
    rent_month: Mapped[date | None] = mapped_column(Date)
    case_number: Mapped[str] = mapped_column(String(8))
    our_reference: Mapped[str] = mapped_column(Text, index=True)
    delivered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    article_number: Mapped[str] = mapped_column(Text)
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
