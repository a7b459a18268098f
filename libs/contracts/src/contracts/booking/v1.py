"""Events booking publishes, major version 1 (the paid-booking saga of ARCHITECTURE.md)."""

from datetime import datetime
from typing import Literal
from uuid import UUID

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


class BookingConfirmed(Event):
    event_type: Literal["booking.booking_confirmed.v1"] = "booking.booking_confirmed.v1"
    aggregate_key = "booking_id"

    booking_id: UUID
    therapist_id: UUID
    client_id: UUID
    starts_at: datetime
    ends_at: datetime


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


class TherapistPayoutDetailsChanged(Event):
    """The bank account on a therapist's profile (BK-3) changed; billing pays payouts to it (BL-4).
    The account number is payment data, not an identity number; it travels only to billing's queue."""

    event_type: Literal["booking.therapist_payout_details_changed.v1"] = "booking.therapist_payout_details_changed.v1"
    aggregate_key = "therapist_id"

    therapist_id: UUID
    bank_account: str
