"""HTTP routes of bookings (thin; use cases in bookings.service)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from booking.bookings import service
from booking.bookings.models import BOOKING_STATUSES
from booking.bookings.schemas import BookForClientIn, BookingOut, CancelOut
from booking.therapists.service import authorised
from kit.auth import CurrentPrincipal
from kit.changes import MAX_WAIT_S
from kit.idempotency import IdempotencyKey, idempotent
from kit.problems import forbidden
from kit.service import DbSession

router = APIRouter(tags=["bookings"])

BookingStatus = Literal[BOOKING_STATUSES]  # type: ignore[valid-type]


def _hold(request: Request) -> timedelta:
    return timedelta(minutes=request.app.state.settings.hold_minutes)


@router.post("/slots/{slot_id}/reservations", status_code=201, response_model=BookingOut)
async def reserve(slot_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal,
                  key: IdempotencyKey = None) -> JSONResponse:
    """A client reserves a free slot: it is held while they pay (billing creates the payment; see
    /api/billing/payments/by-booking/{id}). Exactly one of many simultaneous reservations wins; the
    others get 409. Send an ``Idempotency-Key`` so a retry never books twice."""
    if not principal.has("client"):
        raise forbidden("only a client reserves a slot; a therapist books for a client")

    async def run() -> BookingOut:
        return BookingOut.model_validate(await service.reserve(session, principal, slot_id, _hold(request)))

    return await idempotent(session, key, scope=f"reserve:{principal.account_id}", request={"slot": str(slot_id)},
                            run=run, status_code=201)


@router.post("/slots/{slot_id}/bookings", status_code=201, response_model=BookingOut)
async def book_for_client(slot_id: uuid.UUID, body: BookForClientIn, request: Request, session: DbSession,
                          principal: CurrentPrincipal, key: IdempotencyKey = None) -> JSONResponse:
    """BK-16: the therapist books a free slot for a client (who pays through the platform, or has paid outside it)."""
    await authorised(session, principal)

    async def run() -> BookingOut:
        booking = await service.book_for_client(session, principal, slot_id, body.client_id, body.payment, _hold(request))
        return BookingOut.model_validate(booking)

    return await idempotent(session, key, scope=f"book-for:{principal.account_id}", request={"slot": str(slot_id), **body.model_dump(mode="json")},
                            run=run, status_code=201)


@router.post("/bookings/{booking_id}/cancel")
async def cancel(booking_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> CancelOut:
    """Cancel: by the therapist (full refund), or by the client (more than 24 hours before the start: full
    refund; 24 hours or less before the start: the fee is kept)."""
    booking, outcome = await service.cancel(session, principal, booking_id)
    rule = ("therapist cancelled: full refund" if booking.cancelled_by == "therapist"
            else "more than 24 hours before the start: full refund" if outcome.refund
            else "24 hours or less before the start: the fee is kept")
    return CancelOut(booking=BookingOut.model_validate(booking), refund=outcome.refund,
                     therapist_paid=outcome.therapist_paid, rule=rule)


@router.get("/bookings/{booking_id}")
async def get_booking(
    booking_id: uuid.UUID, request: Request, principal: CurrentPrincipal,
    changed_from: Annotated[BookingStatus | None, Query(description="With wait: the status the caller knows")] = None,
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT_S, description="Seconds to wait for a change of status")] = 0,
) -> BookingOut:
    """A booking. With ``changed_from`` and ``wait`` the answer comes as soon as the status is no longer
    ``changed_from`` (at once if it already is not), else after ``wait`` seconds as it stands: after paying,
    ``?changed_from=pending_payment&wait=20`` answers when the payment has confirmed it, without polling."""
    async def read() -> BookingOut:
        async with request.app.state.db.transaction() as session:
            return BookingOut.model_validate(await service.visible_booking(session, principal, booking_id))

    return await request.app.state.changes.read_when(
        "bookings", booking_id, read, lambda booking: booking.status != changed_from, wait if changed_from else 0)


@router.get("/bookings")
async def my_bookings(session: DbSession, principal: CurrentPrincipal, client_id: uuid.UUID | None = None) -> list[BookingOut]:
    """The caller's bookings, newest first (a therapist may narrow to one client: the client card's meetings)."""
    return [BookingOut.model_validate(b) for b in await service.bookings_of(session, principal, client_id=client_id)]
