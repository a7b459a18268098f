"""HTTP routes of the calendar (thin; use cases in calendar.service)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from booking.bookings.schemas import BookingOut
from booking.calendar import ical, service
from booking.calendar.schemas import (
    CalendarEntry,
    FeedOut,
    PublicSlotOut,
    SlotChange,
    SlotIn,
    SlotOut,
    WeekOut,
)
from booking.therapists.service import authorised
from kit.auth import CurrentPrincipal
from kit.service import DbSession

router = APIRouter(tags=["calendar"])


@router.post("/slots", status_code=201)
async def create_slot(body: SlotIn, session: DbSession, principal: CurrentPrincipal) -> SlotOut:
    """A free slot at a time (default 45 minutes). Slots of one therapist never overlap (409)."""
    await authorised(session, principal)
    return SlotOut.model_validate(await service.create_slot(session, principal.account_id, body))


@router.patch("/slots/{slot_id}")
async def change_slot(slot_id: uuid.UUID, body: SlotChange, session: DbSession, principal: CurrentPrincipal) -> SlotOut:
    """Move (starts_at), resize (length_minutes) or change a free slot."""
    await authorised(session, principal)
    return SlotOut.model_validate(await service.change_slot(session, principal, slot_id, body))


@router.delete("/slots/{slot_id}", status_code=204)
async def delete_slot(slot_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> None:
    """Delete a free slot; a booked one is cancelled instead (409 here)."""
    await authorised(session, principal)
    await service.delete_slot(session, principal, slot_id)


@router.get("/therapists/{therapist_id}/slots")
async def free_slots(
    therapist_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal,
    start: Annotated[datetime | None, Query(alias="from")] = None,
    end: Annotated[datetime | None, Query(alias="to")] = None,
) -> list[PublicSlotOut]:
    """A therapist's free slots (default: the next four weeks)."""
    start = start or datetime.now(UTC)
    end = end or start + timedelta(weeks=4)
    return [PublicSlotOut.model_validate(s) for s in await service.free_slots(session, therapist_id, start, end)]


@router.get("/calendar/week/{iso_week}")
async def calendar_week(iso_week: str, session: DbSession, principal: CurrentPrincipal,
                        tz: Annotated[str | None, Query(description="IANA time zone; default: the profile's")] = None,
                        ) -> WeekOut:
    """The therapist's week, Monday to Sunday in their time zone (the profile's unless ``tz`` says another):
    free, held and booked slots, and the bookings cancelled that week."""
    therapist = await authorised(session, principal)
    tz = tz or therapist.time_zone
    rows, cancelled = await service.week(session, principal.account_id, iso_week, tz)
    entries = [
        CalendarEntry(slot=SlotOut.model_validate(slot), booking_id=booking.id if booking else None,
                      booking_status=booking.status if booking else None, client_id=booking.client_id if booking else None)
        for slot, booking in rows
    ]
    return WeekOut(week=iso_week, time_zone=tz, entries=entries,
                   cancelled=[BookingOut.model_validate(b).model_dump(mode="json") for b in cancelled])


@router.post("/calendar/feed", status_code=201)
async def create_feed(request: Request, session: DbSession, principal: CurrentPrincipal) -> FeedOut:
    """A new secret iCalendar URL (shown once); the previous one stops working."""
    await authorised(session, principal)
    token = await service.new_feed(session, principal.account_id)
    return FeedOut(url=f"{request.app.state.settings.public_base_url}/calendar/feed/{token}.ics")


@router.delete("/calendar/feed", status_code=204)
async def revoke_feed(session: DbSession, principal: CurrentPrincipal) -> None:
    await authorised(session, principal)
    await service.revoke_feeds(session, principal.account_id)


@router.get("/calendar/feed/{token}.ics", response_class=Response)
async def feed(token: str, session: DbSession) -> Response:
    """The therapist's bookings for their own calendar app (no login: the URL is the secret)."""
    return Response(ical.calendar(await service.feed_bookings(session, token)), media_type="text/calendar; charset=utf-8")
