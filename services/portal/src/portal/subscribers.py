"""Portal's event handlers: booking's confirmed and cancelled sessions become the client's appointments."""

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Envelope
from contracts.booking.v1 import BookingCancelled, BookingConfirmed
from kit.bus import Consumers
from portal.clients import service

consumers = Consumers()


@consumers.on(BookingConfirmed, queue="appointments")
async def remember_booking(session: AsyncSession, event: BookingConfirmed, envelope: Envelope) -> None:
    await service.booked(session, event.booking_id, event.client_id, event.starts_at, event.ends_at)


@consumers.on(BookingCancelled, queue="appointments")
async def forget_booking(session: AsyncSession, event: BookingCancelled, envelope: Envelope) -> None:
    await service.booking_cancelled(session, event.booking_id)
