"""Booking's event handlers: parse a contract, call a use case, nothing else."""

from sqlalchemy.ext.asyncio import AsyncSession

from booking.bookings import service as bookings
from contracts import Envelope
from contracts.billing.v1 import PaymentCaptured
from kit.bus import Consumers

consumers = Consumers()


@consumers.on(PaymentCaptured, queue="payments")
async def confirm_paid_booking(session: AsyncSession, event: PaymentCaptured, envelope: Envelope) -> None:
    await bookings.confirm_paid(session, event.booking_id)
