"""Portal's event handlers: its copy of the gateway's directory (care organisations, who coordinates, is a
client or represents in which), and booking's confirmed and cancelled sessions as the client's appointments."""

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Envelope
from contracts.booking.v1 import BookingCancelled, BookingConfirmed
from kit.bus import Consumers
from kit.directory import Directory
from portal.clients import service

consumers = Consumers()
Directory().subscribe(consumers)


@consumers.on(BookingConfirmed, queue="appointments")
async def remember_booking(session: AsyncSession, event: BookingConfirmed, envelope: Envelope) -> None:
    await service.booked(session, event.booking_id, event.client_id, event.starts_at, event.ends_at)


@consumers.on(BookingCancelled, queue="appointments")
async def forget_booking(session: AsyncSession, event: BookingCancelled, envelope: Envelope) -> None:
    await service.booking_cancelled(session, event.booking_id)
