"""HTTP routes of the questionnaire, matching, clients and invitations (thin; use cases in clients.service)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from booking.bookings.schemas import BookingOut
from booking.clients import service
from booking.clients.models import Invitation
from booking.therapists.service import authorised
from kit import audit
from kit.auth import CurrentPrincipal
from kit.pagination import Page, PageParams
from kit.problems import forbidden, not_found
from kit.service import DbSession
from kit.throttle import link_guard

router = APIRouter(tags=["clients"])


class QuestionnaireIn(BaseModel):
    scores: dict[str, int] = Field(description="A score 0–10 per problem area")
    contact_reason: str


class QuestionnaireOut(BaseModel):
    top_problem_areas: list[dict]
    contact_reason: str


@router.put("/questionnaire")
async def answer(body: QuestionnaireIn, session: DbSession, principal: CurrentPrincipal) -> QuestionnaireOut:
    """BK-8: the client's answers (one contact reason)."""
    if not principal.has("client"):
        raise forbidden("the questionnaire is for clients")
    answered = await service.answer(session, principal.account_id, body.scores, body.contact_reason)
    return QuestionnaireOut(top_problem_areas=[{"area": a, "score": s} for a, s in service.top_five(answered.scores)],
                            contact_reason=answered.reason_code)


class MatchPart(BaseModel):
    area: str
    client_score: int
    therapist_weight: int
    points: int


class MatchOut(BaseModel):
    therapist_id: uuid.UUID
    name: str
    title: str | None
    fee_minor: int | None
    currency: str
    score: int
    explanation: list[MatchPart]


@router.get("/matches")
async def matches(session: DbSession, principal: CurrentPrincipal, page: PageParams, video: bool | None = None,
                  on_site: bool | None = None, language: str | None = None, max_fee: int | None = None,
                  has_free_slots: bool = False) -> Page[MatchOut]:
    """Authorised therapists who take the client's contact reason, ranked by how their weights meet the
    client's scores, each with its explanation (points per problem area); one page at a time."""
    found, total = await service.matches(session, principal.account_id, video=video, on_site=on_site,
                                         language=language, max_fee=max_fee, has_free_slots=has_free_slots,
                                         limit=page.limit, offset=page.offset)
    return Page[MatchOut](items=[MatchOut(**m) for m in found], total=total, limit=page.limit, offset=page.offset)


class ClientRow(BaseModel):
    client_id: uuid.UUID
    name: str | None
    origin: str
    since: datetime


@router.get("/clients")
async def clients(session: DbSession, principal: CurrentPrincipal) -> list[ClientRow]:
    """BK-9: the therapist's clients (matched and booked, invited, or created)."""
    therapist = await authorised(session, principal)
    return [ClientRow(client_id=c.client_id, name=p.display_name if p else None, origin=c.origin, since=c.since)
            for c, p in await service.client_list(session, therapist.id)]


class CardOut(BaseModel):
    client_id: uuid.UUID
    name: str | None
    email: str | None
    phone: str | None
    origin: str
    information: str | None
    top_problem_areas: list[dict]
    contact_reason: dict | None
    future_meetings: list[BookingOut]
    past_meetings: list[BookingOut]


@router.get("/clients/{client_id}")
async def client_card(client_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> CardOut:
    """BK-10: contact, questionnaire summary, reason, the information field, future and past meetings."""
    therapist = await authorised(session, principal)
    data = await service.card(session, therapist.id, client_id)
    await audit.write(session, actor=therapist.id, subject=client_id, action="read client card")
    return CardOut(**{**data, "future_meetings": [BookingOut.model_validate(b) for b in data["future_meetings"]],
                      "past_meetings": [BookingOut.model_validate(b) for b in data["past_meetings"]]})


class InformationIn(BaseModel):
    information: str = Field(max_length=4000)


@router.put("/clients/{client_id}/information", status_code=204)
async def set_information(client_id: uuid.UUID, body: InformationIn, session: DbSession, principal: CurrentPrincipal) -> None:
    therapist = await authorised(session, principal)
    await service.set_information(session, therapist.id, client_id, body.information)
    await audit.write(session, actor=therapist.id, subject=client_id, action="write client card")


class InviteIn(BaseModel):
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    language: str = Field(default="sv", pattern=r"^(sv|nb|nl|en)$")


class InvitationOut(BaseModel):
    id: uuid.UUID
    email: str
    status: str
    expires_at: datetime
    sent_at: datetime


def _invitation(i: Invitation) -> InvitationOut:
    return InvitationOut(id=i.id, email=i.email, status=i.status, expires_at=i.expires_at, sent_at=i.sent_at)


@router.post("/invitations", status_code=201)
async def invite(body: InviteIn, request: Request, session: DbSession, principal: CurrentPrincipal) -> InvitationOut:
    """BK-11: invite a client by email; the link creates their account."""
    therapist = await authorised(session, principal)
    base = request.app.state.settings.app_base_url  # the web app's page accepts it (POST …/invitations/{token}/accept)
    return _invitation(await service.invite(session, therapist, body.email, body.language, base))


@router.get("/invitations")
async def pending_invitations(session: DbSession, principal: CurrentPrincipal) -> list[InvitationOut]:
    therapist = await authorised(session, principal)
    query = select(Invitation).where(Invitation.therapist_id == therapist.id, Invitation.status == "pending").order_by(Invitation.sent_at)
    return [_invitation(i) for i in (await session.execute(query)).scalars()]


@router.post("/invitations/{invitation_id}/resend")
async def resend(invitation_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal) -> InvitationOut:
    """A reminder with a new link; the old link stops working."""
    therapist = await authorised(session, principal)
    invitation = await session.get(Invitation, invitation_id, with_for_update=True)
    if invitation is None or invitation.therapist_id != therapist.id or invitation.status != "pending":
        raise not_found("pending invitation", invitation_id)
    return _invitation(await service.invite(session, therapist, invitation.email, invitation.language,
                                            request.app.state.settings.app_base_url, reminder_of=invitation))


class AcceptIn(BaseModel):
    display_name: str = Field(min_length=1, max_length=200)


@router.post("/invitations/{token}/accept", status_code=202)
async def accept(token: str, body: AcceptIn, request: Request, session: DbSession) -> dict[str, str]:
    """The invited person (no login yet) accepts: their account is created and the credentials emailed.
    Guessing links is throttled per client address (kit.throttle)."""
    async with link_guard(request, session, "invitation"):
        await service.accept(session, token, body.display_name)
    return {"status": "accepted: your account is being created; the sign-in details come by email"}
