"""Events billing publishes, major version 1."""

from typing import Literal
from uuid import UUID

from contracts.envelope import Event
from contracts.money import Money


class PaymentCaptured(Event):
    event_type: Literal["billing.payment_captured.v1"] = "billing.payment_captured.v1"
    aggregate_key = "booking_id"

    payment_id: UUID
    booking_id: UUID
    amount: Money
