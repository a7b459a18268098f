"""HTTP routes of therapists (thin; use cases in therapists.service)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select

from booking.therapists import service
from booking.therapists.models import ContactReason, ProblemArea, Therapist
from booking.therapists.schemas import (
    ApplicationIn,
    ApplicationOut,
    ProfileIn,
    ProfileOut,
    PublicTherapist,
    ReasonsIn,
    ReceptionIn,
    ReviewIn,
    WeightsIn,
)
from kit.auth import CurrentPrincipal, Principal, require_roles
from kit.problems import not_found
from kit.service import DbSession

router = APIRouter(tags=["therapists"])
Admin = Annotated[Principal, Depends(require_roles("admin"))]


@router.post("/therapists/application", status_code=201)
async def apply(body: ApplicationIn, session: DbSession, principal: CurrentPrincipal) -> ApplicationOut:
    """BK-1: apply with name, contact details, licence number and the agreement accepted."""
    return ApplicationOut.model_validate(await service.apply(session, principal, body))


@router.get("/therapists/application")
async def application_status(session: DbSession, principal: CurrentPrincipal) -> ApplicationOut:
    """The one page an unauthorised therapist may open."""
    return ApplicationOut.model_validate(await service.own(session, principal))


@router.get("/admin/applications")
async def applications(session: DbSession, principal: Admin, status: str = "pending") -> list[ApplicationOut]:
    query = select(Therapist).where(Therapist.status == status).order_by(Therapist.applied_at)
    return [ApplicationOut.model_validate(t) for t in (await session.execute(query)).scalars()]


@router.post("/admin/applications/{therapist_id}/review")
async def review(therapist_id: uuid.UUID, body: ReviewIn, request: Request, session: DbSession, principal: Admin) -> ApplicationOut:
    """BK-2: authorise (the licence must be valid in the register) or reject; the therapist is emailed."""
    therapist = await service.review(session, request.app.state.licence_register, therapist_id, body.decision, body.note)
    return ApplicationOut.model_validate(therapist)


@router.get("/therapists/me/profile")
async def my_profile(session: DbSession, principal: CurrentPrincipal) -> ProfileOut:
    return ProfileOut.model_validate(await service.authorised(session, principal))


@router.put("/therapists/me/profile")
async def save_profile(body: ProfileIn, session: DbSession, principal: CurrentPrincipal) -> ProfileOut:
    therapist = await service.authorised(session, principal)
    return ProfileOut.model_validate(await service.save_profile(session, therapist, body))


@router.put("/therapists/me/reception")
async def save_reception(body: ReceptionIn, session: DbSession, principal: CurrentPrincipal) -> ProfileOut:
    therapist = await service.authorised(session, principal)
    return ProfileOut.model_validate(await service.save_reception(session, therapist, body))


@router.put("/therapists/me/photo", status_code=204)
async def upload_photo(request: Request, session: DbSession, principal: CurrentPrincipal) -> None:
    """The photo as the request body (JPEG or PNG, at most 2 MB; the content decides, not the header)."""
    therapist = await service.authorised(session, principal)
    await service.save_photo(therapist, await request.body())


@router.get("/therapists/{therapist_id}/photo", response_class=Response)
async def photo(therapist_id: uuid.UUID, session: DbSession) -> Response:
    therapist = await session.get(Therapist, therapist_id)
    if therapist is None or therapist.status != "authorised" or therapist.photo is None:
        raise not_found("photo of therapist", therapist_id)
    return Response(therapist.photo, media_type=therapist.photo_type or "application/octet-stream")


@router.get("/therapists/{therapist_id}/public")
async def public_profile(therapist_id: uuid.UUID, session: DbSession) -> PublicTherapist:
    """BK-4: name, title, presentation, reception address and fee. Nothing else, for anyone."""
    therapist = await session.get(Therapist, therapist_id)
    if therapist is None or therapist.status != "authorised":
        raise not_found("therapist", therapist_id)
    return PublicTherapist(id=therapist.id, name=therapist.name, title=therapist.title, presentation=therapist.presentation,
                           reception_address=therapist.reception_address, fee_minor=therapist.fee_minor, currency=therapist.currency)


class Area(BaseModel):
    code: str
    name_sv: str
    name_en: str


@router.get("/problem-areas")
async def problem_areas(session: DbSession) -> list[Area]:
    rows = (await session.execute(select(ProblemArea).order_by(ProblemArea.code))).scalars()
    return [Area(code=a.code, name_sv=a.name_sv, name_en=a.name_en) for a in rows]


@router.put("/therapists/me/problem-areas")
async def save_weights(body: WeightsIn, session: DbSession, principal: CurrentPrincipal) -> WeightsIn:
    """BK-6: a weight 0–10 per area; all together at most 80."""
    therapist = await service.authorised(session, principal)
    return WeightsIn(weights=await service.save_weights(session, therapist, body.weights))


class Reason(BaseModel):
    code: str
    name_sv: str
    name_en: str
    children: list[Reason] = []


@router.get("/contact-reasons")
async def contact_reasons(session: DbSession) -> list[Reason]:
    rows = list((await session.execute(select(ContactReason).order_by(ContactReason.code))).scalars())
    nodes = {r.code: Reason(code=r.code, name_sv=r.name_sv, name_en=r.name_en) for r in rows}
    for row in rows:
        if row.parent_code:
            nodes[row.parent_code].children.append(nodes[row.code])
    return [nodes[r.code] for r in rows if r.parent_code is None]


@router.put("/therapists/me/contact-reasons")
async def save_reasons(body: ReasonsIn, session: DbSession, principal: CurrentPrincipal) -> ReasonsIn:
    """BK-7: tick the reasons (any node of the tree) you take."""
    therapist = await service.authorised(session, principal)
    return ReasonsIn(reasons=await service.save_reasons(session, therapist, body.reasons))
