"""Booking use cases: reserve a slot (hold + BookingRequested), confirm when paid, expire holds, cancel
with the 24-hour rule, the therapist booking for a client. Each runs in the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from booking.bookings import rules
from booking.bookings.models import Booking
from booking.calendar.models import Slot
from booking.clients.service import add_client, is_client_of
from booking.therapists.models import Therapist
from contracts.booking.v1 import BookingCancelled, BookingConfirmed, BookingHoldExpired, BookingRequested
from contracts.money import Money
from kit import outbox
from kit.auth import Principal
from kit.problems import conflict, forbidden, not_found


async def is_existing_client(session: AsyncSession, therapist_id: uuid.UUID, client_id: uuid.UUID) -> bool:
    """A client on the therapist's list (booked before, invited, or created by the therapist)."""
    return await is_client_of(session, therapist_id, client_id)


async def _take_free_slot(session: AsyncSession, slot_id: uuid.UUID, now: datetime) -> Slot:
    """Atomically turn a free future slot into a held one; every competitor but one gets a 409."""
    slot = (
        await session.execute(
            update(Slot).where(Slot.id == slot_id, Slot.status == "free", Slot.starts_at > now)
            .values(status="held").returning(Slot)
        )
    ).scalar_one_or_none()
    if slot is None:
        exists = (await session.execute(select(Slot.status, Slot.starts_at).where(Slot.id == slot_id))).first()
        if exists is None:
            raise not_found("slot", slot_id)
        if exists.starts_at <= now:
            raise conflict("slot-in-the-past", "the slot has already started")
        raise conflict("slot-not-available", "the slot is already booked or held by someone else")
    return slot


async def _requested(session: AsyncSession, booking: Booking) -> BookingRequested:
    return BookingRequested(
        booking_id=booking.id, slot_id=booking.slot_id, therapist_id=booking.therapist_id, client_id=booking.client_id,
        starts_at=booking.starts_at, price=Money(amount_minor=booking.price_minor, currency=booking.currency),
        hold_expires_at=booking.hold_expires_at, time_zone=(await _therapist(session, booking)).time_zone,
    )


async def _therapist(session: AsyncSession, booking: Booking) -> Therapist:
    therapist = await session.get(Therapist, booking.therapist_id)
    assert therapist is not None, "a booking's slot belongs to a therapist"
    return therapist


async def _confirmed(session: AsyncSession, booking: Booking) -> BookingConfirmed:
    """BK-15: the confirmation carries what the mails need: the reception address of an on-site session,
    the therapist's personal information for clients (door code, directions) and their time zone."""
    therapist = await _therapist(session, booking)
    return BookingConfirmed(
        booking_id=booking.id, therapist_id=booking.therapist_id, client_id=booking.client_id,
        starts_at=booking.starts_at, ends_at=booking.ends_at, booked_by=booking.booked_by,
        video=booking.video, on_site=booking.on_site,
        price=Money(amount_minor=booking.price_minor, currency=booking.currency) if booking.payment == "platform" else None,
        address=therapist.reception_address if booking.on_site else None,
        therapist_note=therapist.personal_information, time_zone=therapist.time_zone,
    )


async def reserve(session: AsyncSession, client: Principal, slot_id: uuid.UUID, hold: timedelta,
                  now: datetime | None = None) -> Booking:
    now = now or datetime.now(UTC)
    slot = await _take_free_slot(session, slot_id, now)
    if slot.therapist_id == client.account_id:
        raise conflict("own-slot", "a therapist does not book their own slot")
    existing = slot.audience == "existing_clients" and await is_existing_client(session, slot.therapist_id, client.account_id)
    if not rules.can_book(slot.audience, slot.invited_client_id, client.account_id, existing):
        raise forbidden("this slot is reserved for the therapist's existing clients" if slot.audience == "existing_clients"
                        else "this slot is reserved for an invited client")
    booking = _booking(slot, client.account_id, booked_by="client", status="pending_payment", hold_until=now + hold)
    session.add(booking)
    await session.flush()
    await outbox.add(session, await _requested(session, booking))
    return booking


async def book_for_client(session: AsyncSession, therapist: Principal, slot_id: uuid.UUID, client_id: uuid.UUID,
                          payment: str, hold: timedelta, now: datetime | None = None) -> Booking:
    """BK-16: the therapist books one of their free slots for a client, who pays through the platform
    (a payment like the client's own, with a longer hold) or has paid outside it (confirmed at once)."""
    now = now or datetime.now(UTC)
    if not await is_client_of(session, therapist.account_id, client_id):
        raise forbidden(f"{client_id} is not one of your clients: a therapist books only for their own clients")
    owner = (await session.execute(select(Slot.therapist_id).where(Slot.id == slot_id))).scalar_one_or_none()
    if owner != therapist.account_id:
        raise not_found("slot", slot_id)  # another therapist's slot and a missing one answer alike
    slot = await _take_free_slot(session, slot_id, now)
    if payment == "paid_outside":
        booking = _booking(slot, client_id, booked_by="therapist", status="confirmed", hold_until=None, payment="outside")
        slot.status = "booked"
        session.add(booking)
        await session.flush()
        await outbox.add(session, await _confirmed(session, booking))
    else:
        booking = _booking(slot, client_id, booked_by="therapist", status="pending_payment", hold_until=now + 4 * hold)
        session.add(booking)
        await session.flush()
        await outbox.add(session, await _requested(session, booking))
    return booking


def _booking(slot: Slot, client_id: uuid.UUID, *, booked_by: str, status: str, hold_until: datetime | None,
             payment: str = "platform") -> Booking:
    return Booking(
        id=uuid.uuid4(), slot_id=slot.id, therapist_id=slot.therapist_id, client_id=client_id, starts_at=slot.starts_at,
        ends_at=slot.ends_at, price_minor=slot.price_minor, currency=slot.currency, video=slot.video,
        on_site=slot.on_site, status=status, booked_by=booked_by, payment=payment, hold_expires_at=hold_until,
    )


async def confirm_paid(session: AsyncSession, booking_id: uuid.UUID) -> None:
    """billing captured the payment: the held slot becomes booked. A booking that expired or was
    cancelled meanwhile stays so (billing refunds a capture that arrives too late)."""
    booking = (await session.execute(select(Booking).where(Booking.id == booking_id).with_for_update())).scalar_one_or_none()
    if booking is None or booking.status != "pending_payment":
        return
    booking.status = "confirmed"
    await session.execute(update(Slot).where(Slot.id == booking.slot_id).values(status="booked"))
    await add_client(session, booking.therapist_id, booking.client_id, "matched")  # BK-9, BK-19
    await outbox.add(session, await _confirmed(session, booking))


async def expire_holds(session: AsyncSession, now: datetime | None = None, limit: int = 200) -> int:
    """Release holds whose time ran out (safe with several replicas: SKIP LOCKED)."""
    now = now or datetime.now(UTC)
    expired = (
        await session.execute(
            select(Booking).where(Booking.status == "pending_payment", Booking.hold_expires_at <= now)
            .order_by(Booking.hold_expires_at).limit(limit).with_for_update(skip_locked=True)
        )
    ).scalars().all()
    for booking in expired:
        booking.status = "expired"
        await session.execute(update(Slot).where(Slot.id == booking.slot_id, Slot.status == "held").values(status="free"))
        await outbox.add(session, BookingHoldExpired(booking_id=booking.id))
    return len(expired)


async def cancel(session: AsyncSession, principal: Principal, booking_id: uuid.UUID, now: datetime | None = None
                 ) -> tuple[Booking, rules.CancellationOutcome]:
    now = now or datetime.now(UTC)
    booking = (await session.execute(select(Booking).where(Booking.id == booking_id).with_for_update())).scalar_one_or_none()
    if booking is None or principal.account_id not in (booking.client_id, booking.therapist_id):
        raise not_found("booking", booking_id)
    if booking.status not in ("pending_payment", "confirmed"):
        raise conflict("booking-not-cancellable", f"the booking is already {booking.status}")
    if booking.starts_at <= now:
        raise conflict("booking-started", "a session that has started cannot be cancelled")
    by = "therapist" if principal.account_id == booking.therapist_id else "client"
    if booking.status == "pending_payment":
        outcome = rules.CancellationOutcome(refund=True, therapist_paid=False)  # nothing was paid yet
    else:
        outcome = rules.cancellation_outcome(by, booking.starts_at, now)
    booking.status, booking.cancelled_by, booking.cancelled_at = "cancelled", by, now
    booking.refund, booking.therapist_paid = outcome.refund, outcome.therapist_paid
    await session.execute(update(Slot).where(Slot.id == booking.slot_id).values(status="free"))
    await outbox.add(session, BookingCancelled(
        booking_id=booking.id, therapist_id=booking.therapist_id, client_id=booking.client_id,
        starts_at=booking.starts_at, cancelled_by=by, refund=outcome.refund, therapist_paid=outcome.therapist_paid,
        time_zone=(await _therapist(session, booking)).time_zone,
    ))
    return booking, outcome


async def visible_booking(session: AsyncSession, principal: Principal, booking_id: uuid.UUID) -> Booking:
    booking = await session.get(Booking, booking_id)
    if booking is None or principal.account_id not in (booking.client_id, booking.therapist_id):
        raise not_found("booking", booking_id)
    return booking


async def bookings_of(session: AsyncSession, principal: Principal, *, client_id: uuid.UUID | None = None) -> list[Booking]:
    """The caller's bookings: a client's own, or a therapist's (optionally with one client: the client
    card's future and past meetings)."""
    query = select(Booking).where(or_(Booking.client_id == principal.account_id, Booking.therapist_id == principal.account_id))
    if client_id is not None:
        query = query.where(Booking.client_id == client_id, Booking.therapist_id == principal.account_id)
    return list((await session.execute(query.order_by(Booking.starts_at.desc()))).scalars())
