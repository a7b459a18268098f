"""Events billing publishes, major version 1."""

from datetime import datetime
from typing import Literal
from uuid import UUID

from contracts.envelope import Event
from contracts.money import Money


class PaymentCaptured(Event):
    """The provider confirmed the client's payment; booking confirms the booking."""

    event_type: Literal["billing.payment_captured.v1"] = "billing.payment_captured.v1"
    aggregate_key = "booking_id"

    payment_id: UUID
    booking_id: UUID
    amount: Money


class PaymentCreated(Event):
    """The payment for a booking exists at the provider and can be paid until the hold expires."""

    event_type: Literal["billing.payment_created.v1"] = "billing.payment_created.v1"
    aggregate_key = "booking_id"

    payment_id: UUID
    booking_id: UUID
    client_id: UUID
    amount: Money


class PaymentFailed(Event):
    """The provider declined the payment; the client may try again while the hold lasts."""

    event_type: Literal["billing.payment_failed.v1"] = "billing.payment_failed.v1"
    aggregate_key = "booking_id"

    payment_id: UUID
    booking_id: UUID
    reason: str


class PaymentVoided(Event):
    """The payment was cancelled before any money moved (the hold expired)."""

    event_type: Literal["billing.payment_voided.v1"] = "billing.payment_voided.v1"
    aggregate_key = "booking_id"

    payment_id: UUID
    booking_id: UUID


class PaymentRefunded(Event):
    """Money went back to the client (BL-2); notify tells the client."""

    event_type: Literal["billing.payment_refunded.v1"] = "billing.payment_refunded.v1"
    aggregate_key = "booking_id"

    payment_id: UUID
    booking_id: UUID
    client_id: UUID
    amount: Money
    reason: Literal["cancelled_by_client", "cancelled_by_therapist", "hold_expired", "captured_after_void"]
    #: The session the money was for, and the time zone it is shown in (absent in events of older billings)
    starts_at: datetime | None = None
    time_zone: str = "Europe/Stockholm"
