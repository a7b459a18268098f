"""Events booking publishes, major version 1 (the paid-booking saga of ARCHITECTURE.md)."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel

from contracts.envelope import Event
from contracts.money import Money


class BookingRequested(Event):
    """A client holds a slot and must pay before ``hold_expires_at``."""

    event_type: Literal["booking.booking_requested.v1"] = "booking.booking_requested.v1"
    aggregate_key = "booking_id"

    booking_id: UUID
    slot_id: UUID
    therapist_id: UUID
    client_id: UUID
    starts_at: datetime
    price: Money
    hold_expires_at: datetime
    #: The therapist's time zone: billing keeps it, so the refund mail shows the session's time in it
    time_zone: str = "Europe/Stockholm"


class BookingConfirmed(Event):
    """The booking is paid (or paid outside the platform) and holds. Notify sends the confirmations
    (BK-15, BK-16) from the optional details; none of them is an identity number or clinical content."""

    event_type: Literal["booking.booking_confirmed.v1"] = "booking.booking_confirmed.v1"
    aggregate_key = "booking_id"

    booking_id: UUID
    therapist_id: UUID
    client_id: UUID
    starts_at: datetime
    ends_at: datetime
    booked_by: Literal["client", "therapist"] = "client"
    video: bool = False
    on_site: bool = True
    price: Money | None = None
    #: The reception address (on site) from the therapist's profile.
    address: str | None = None
    #: The therapist's "personal information" for clients (door code, directions): sent only here.
    therapist_note: str | None = None
    time_zone: str = "Europe/Stockholm"


class BookingHoldExpired(Event):
    event_type: Literal["booking.booking_hold_expired.v1"] = "booking.booking_hold_expired.v1"
    aggregate_key = "booking_id"

    booking_id: UUID


class BookingCancelled(Event):
    """A booking was cancelled. Booking has applied the 24-hour rule (BK-17/BK-18); billing executes it:
    ``refund`` says whether the client gets the fee back, ``therapist_paid`` whether the therapist's share
    is owed as if the session took place."""

    event_type: Literal["booking.booking_cancelled.v1"] = "booking.booking_cancelled.v1"
    aggregate_key = "booking_id"

    booking_id: UUID
    therapist_id: UUID
    client_id: UUID
    starts_at: datetime
    cancelled_by: Literal["client", "therapist"]
    refund: bool
    therapist_paid: bool
    #: The therapist's time zone: the mails show the session's time in it
    time_zone: str = "Europe/Stockholm"


class TherapistPayoutDetailsChanged(Event):
    """The bank account on a therapist's profile (BK-3) changed; billing pays payouts to it (BL-4).
    The account number is payment data, not an identity number; it travels only to billing's queue."""

    event_type: Literal["booking.therapist_payout_details_changed.v1"] = "booking.therapist_payout_details_changed.v1"
    aggregate_key = "therapist_id"

    therapist_id: UUID
    bank_account: str


class GroupAppointmentChanged(Event):
    """A group appointment was created or changed (GR-3, GR-4) or cancelled (GR-8). When its type has
    notifications on, notify sends each patient one notice five minutes after the last change."""

    event_type: Literal["booking.group_appointment_changed.v1"] = "booking.group_appointment_changed.v1"
    aggregate_key = "appointment_id"

    appointment_id: UUID
    practitioner_id: UUID
    patient_ids: list[UUID]
    appointment_type: str
    starts_at: datetime
    ends_at: datetime
    notifications: bool = True
    cancelled: bool = False
    time_zone: str = "Europe/Oslo"
    #: Patients taken off the appointment by this change (GR-8 on a patient's behalf, or an edit): a notice
    #: still waiting for them is withdrawn, one already sent is followed by a cancellation.
    removed_patient_ids: list[UUID] = []


class TherapistAuthorised(Event):
    """An admin checked the licence and authorised the therapist's account (BK-2)."""

    event_type: Literal["booking.therapist_authorised.v1"] = "booking.therapist_authorised.v1"
    aggregate_key = "therapist_id"

    therapist_id: UUID


class TherapistApplicationRejected(Event):
    event_type: Literal["booking.therapist_application_rejected.v1"] = "booking.therapist_application_rejected.v1"
    aggregate_key = "therapist_id"

    therapist_id: UUID
    reason: str


class ClientInvited(Event):
    """A therapist invites a client by email (BK-11). ``link`` holds a single-use secret: notify sends it
    and keeps only a redacted copy; ``reminder`` is true for a re-sent invitation."""

    event_type: Literal["booking.client_invited.v1"] = "booking.client_invited.v1"
    aggregate_key = "invitation_id"

    invitation_id: UUID
    therapist_id: UUID
    email: str
    language: Literal["sv", "nb", "nl", "en"] = "sv"
    link: str
    expires_at: datetime
    reminder: bool = False


class InvitationAccepted(Event):
    """The invited person followed the link: the gateway creates their client account (with a temporary
    password sent by email) and announces it with ``gateway.account_created.v1`` carrying ``invitation_id``."""

    event_type: Literal["booking.invitation_accepted.v1"] = "booking.invitation_accepted.v1"
    aggregate_key = "invitation_id"

    invitation_id: UUID
    therapist_id: UUID
    email: str
    display_name: str
    language: Literal["sv", "nb", "nl", "en"] = "sv"


class InvitationUsed(Event):
    """The invitation became an account and the client is now the therapist's client; notify tells the therapist."""

    event_type: Literal["booking.invitation_used.v1"] = "booking.invitation_used.v1"
    aggregate_key = "invitation_id"

    invitation_id: UUID
    therapist_id: UUID
    client_id: UUID


class ConsentRequested(Event):
    """JR-2: a therapist asks the client for access to earlier therapists' notes. ``link`` (a single-use
    secret) lets the client answer; notify emails the client and confirms to the therapist."""

    event_type: Literal["booking.consent_requested.v1"] = "booking.consent_requested.v1"
    aggregate_key = "consent_id"

    consent_id: UUID
    client_id: UUID
    therapist_id: UUID
    link: str


class ConsentAnswered(Event):
    event_type: Literal["booking.consent_answered.v1"] = "booking.consent_answered.v1"
    aggregate_key = "consent_id"

    consent_id: UUID
    client_id: UUID
    therapist_id: UUID
    approved: bool


class BillingCardLine(BaseModel):
    """One attended patient to bill (GR-7 → BL-7). HELFO tariff codes and the guarantee (exemption) code
    are administrative; the problem/diagnosis stays in booking's journal, never on the bus."""

    patient_id: UUID
    tariff_codes: list[str] = []
    fee: Money  # what the patient pays: their share of the tariffs and any extra fee
    guarantee_code: str | None = None
    #: the HELFO settlement: the tariffs' fee, the patient's share of it, and HELFO's refund
    helfo_fee_minor: int | None = None
    patient_share_minor: int | None = None
    helfo_refund_minor: int | None = None


class GroupSessionClosed(Event):
    """A group appointment was closed (GR-7): billing opens a card with status "pay later" per line."""

    event_type: Literal["booking.group_session_closed.v1"] = "booking.group_session_closed.v1"
    aggregate_key = "appointment_id"

    appointment_id: UUID
    practitioner_id: UUID
    appointment_type: str
    starts_at: datetime
    cards: list[BillingCardLine]
