"""Slot use cases: create, change (move/resize), delete, list; the week view; the calendar feed."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from booking.bookings.models import Booking
from booking.calendar import rules
from booking.calendar.models import CalendarFeed, Slot
from booking.calendar.schemas import SlotChange, SlotIn
from kit.auth import Principal
from kit.db import flush_guarded, one_or_404
from kit.problems import Problem, conflict, invalid, not_found


def _overlap() -> Problem:
    return conflict("slot-overlaps", "the slot overlaps another of your slots")


async def _insert(session: AsyncSession, slot: Slot) -> Slot:
    session.add(slot)
    await flush_guarded(session, {"slots_do_not_overlap": _overlap()})
    return slot


async def create_slot(session: AsyncSession, therapist_id: uuid.UUID, body: SlotIn, now: datetime | None = None) -> Slot:
    try:
        starts_at, ends_at = rules.slot_times(body.starts_at, body.length_minutes, now or datetime.now(UTC))
    except rules.SlotRuleError as exc:
        raise invalid(str(exc)) from exc
    slot = Slot(
        id=uuid.uuid4(), therapist_id=therapist_id, starts_at=starts_at, ends_at=ends_at, price_minor=body.price_minor,
        currency=body.currency, video=body.video, on_site=body.on_site, audience=body.audience,
        invited_client_id=body.invited_client_id, status="free",
    )
    return await _insert(session, slot)


async def own_slot(session: AsyncSession, principal: Principal, slot_id: uuid.UUID, *, lock: bool = False) -> Slot:
    return await one_or_404(session, Slot, slot_id, "slot", lock=lock,
                            visible=lambda slot: slot.therapist_id == principal.account_id)


async def change_slot(session: AsyncSession, principal: Principal, slot_id: uuid.UUID, body: SlotChange) -> Slot:
    slot = await own_slot(session, principal, slot_id, lock=True)
    if slot.status != "free":
        raise conflict("slot-not-free", f"the slot is {slot.status}; only a free slot can be moved or resized")
    length = body.length_minutes if body.length_minutes is not None else int((slot.ends_at - slot.starts_at).total_seconds() // 60)
    try:
        slot.starts_at, slot.ends_at = rules.slot_times(body.starts_at or slot.starts_at, length, datetime.now(UTC))
    except rules.SlotRuleError as exc:
        raise invalid(str(exc)) from exc
    for field in ("price_minor", "video", "on_site"):
        if getattr(body, field) is not None:
            setattr(slot, field, getattr(body, field))
    if not (slot.video or slot.on_site):
        raise invalid("a slot is by video, on site, or both")
    await flush_guarded(session, {"slots_do_not_overlap": _overlap()})
    return slot


async def delete_slot(session: AsyncSession, principal: Principal, slot_id: uuid.UUID) -> None:
    slot = await own_slot(session, principal, slot_id, lock=True)
    if slot.status != "free":
        raise conflict("slot-not-free", f"the slot is {slot.status}: a booked slot is cancelled, not deleted")
    # a free slot has no live booking; cancelled or expired ones keep their own times (slot_id → NULL)
    await session.delete(slot)


async def free_slots(session: AsyncSession, therapist_id: uuid.UUID, start: datetime, end: datetime) -> list[Slot]:
    query = (
        select(Slot)
        .where(Slot.therapist_id == therapist_id, Slot.status == "free", Slot.starts_at >= max(start, datetime.now(UTC)),
               Slot.starts_at < end)
        .order_by(Slot.starts_at)
    )
    return list((await session.execute(query)).scalars())


async def week(session: AsyncSession, therapist_id: uuid.UUID, iso_week: str, zone_name: str) -> tuple:
    try:
        zone = ZoneInfo(zone_name)
        start, end = rules.week_bounds(iso_week, zone)
    except (rules.SlotRuleError, KeyError, ValueError) as exc:
        raise invalid(str(exc)) from exc
    live = and_(Booking.slot_id == Slot.id, Booking.status.in_(("pending_payment", "confirmed")))
    rows = (
        await session.execute(
            select(Slot, Booking).outerjoin(Booking, live)
            .where(Slot.therapist_id == therapist_id, Slot.starts_at >= start, Slot.starts_at < end)
            .order_by(Slot.starts_at)
        )
    ).all()
    cancelled = (
        await session.execute(
            select(Booking).where(Booking.therapist_id == therapist_id, Booking.status == "cancelled",
                                  Booking.starts_at >= start, Booking.starts_at < end).order_by(Booking.starts_at)
        )
    ).scalars().all()
    return rows, list(cancelled)


# -- the iCalendar feed (BK-20) ---------------------------------------------------------------------------
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_feed(session: AsyncSession, therapist_id: uuid.UUID) -> str:
    """A new secret feed token (shown once); earlier feeds of the therapist are revoked."""
    await revoke_feeds(session, therapist_id)
    token = secrets.token_urlsafe(32)
    session.add(CalendarFeed(therapist_id=therapist_id, token_hash=_hash(token)))
    await session.flush()
    return token


async def revoke_feeds(session: AsyncSession, therapist_id: uuid.UUID) -> None:
    await session.execute(
        update(CalendarFeed).where(CalendarFeed.therapist_id == therapist_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )


async def feed_bookings(session: AsyncSession, token: str) -> list[Booking]:
    feed = (
        await session.execute(select(CalendarFeed).where(CalendarFeed.token_hash == _hash(token), CalendarFeed.revoked_at.is_(None)))
    ).scalar_one_or_none()
    if feed is None:
        raise not_found("calendar feed", "with that address")
    query = select(Booking).where(Booking.therapist_id == feed.therapist_id, Booking.status == "confirmed").order_by(Booking.starts_at)
    return list((await session.execute(query)).scalars())
