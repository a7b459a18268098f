"""Billing's event handlers: parse a contract, call a use case, nothing else."""

from sqlalchemy.ext.asyncio import AsyncSession

from billing.payments import service
from contracts import Envelope
from contracts.booking.v1 import BookingCancelled, BookingHoldExpired, BookingRequested
from kit import context
from kit.bus import Consumers

consumers = Consumers()


def _provider():  # noqa: ANN202
    return context.app_state.get().provider


@consumers.on(BookingRequested, queue="payments")
async def create_payment(session: AsyncSession, event: BookingRequested, envelope: Envelope) -> None:
    await service.create_for_booking(session, _provider(), event)


@consumers.on(BookingHoldExpired, queue="payments")
async def void_payment(session: AsyncSession, event: BookingHoldExpired, envelope: Envelope) -> None:
    await service.void_for_expired_hold(session, _provider(), event)


@consumers.on(BookingCancelled, queue="payments")
async def settle_cancellation(session: AsyncSession, event: BookingCancelled, envelope: Envelope) -> None:
    await service.settle_cancellation(session, _provider(), event)
