"""Recipient routes (thin; use cases in recipients.service)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from contracts.identity import mask
from kit.service import DbSession
from logistics.activities import views
from logistics.orders import service as orders
from logistics.prescribers.models import Prescriber
from logistics.recipients import printouts, service
from logistics.returns import service as returns
from logistics.stock import service as stock
from logistics.tenancy import Scope, Scoped

router = APIRouter(tags=["recipients"])


class PatientIn(BaseModel):
    kind: Literal["patient"]
    personal_number: str = Field(description="12 digits, YYYYMMDDNNNC (a hyphen before the last four is accepted)")
    reason: str = Field(min_length=3, max_length=500, description="Why you look the person up (audited, HSLF-FS 2016:40)")
    service_unit_id: uuid.UUID | None = Field(default=None, description="The unit you register for; your default unless given")


class CareUnitIn(BaseModel):
    kind: Literal["care_unit"]
    service_unit_id: uuid.UUID | None = Field(default=None, description="The unit you register for; your default unless given")
    care_unit_number: str = Field(pattern=r"^[0-9]{4}$")
    name: str = Field(min_length=2, max_length=200)
    street: str = ""
    postal_code: str = ""
    city: str = ""


class RecipientOut(BaseModel):
    id: uuid.UUID
    kind: str
    personal_number: str | None = Field(description="Masked: the last four digits are not shown")
    care_unit_number: str | None
    name: str
    street: str
    postal_code: str
    city: str
    phone: str | None
    door_code: str | None
    infection_flag: bool


def _out(found) -> RecipientOut:  # noqa: ANN001
    out = RecipientOut.model_validate(found, from_attributes=True)
    out.personal_number = mask(found.personal_number) if found.personal_number else None
    return out


@router.post("/recipients")
async def add_recipient(body: Annotated[PatientIn | CareUnitIn, Field(discriminator="kind")], request: Request,
                        response: Response, session: DbSession, scope: Scoped) -> RecipientOut:
    """LG-9: a patient by personal identity number (address from the population register; the look-up is
    audited with your ``reason``) or a care unit by its 4-digit number. Returns the existing recipient when
    there is one (200) or the new one (201); from now on it belongs to your service unit's municipality."""
    municipality = await _registering_for(session, scope, body.service_unit_id)
    if isinstance(body, PatientIn):
        found, created = await service.add_patient(session, scope, request.app.state.population_register, body.personal_number,
                                                   body.reason, municipality)
    else:
        found, created = await service.add_care_unit(session, scope, body.care_unit_number, body.name, body.street,
                                                     body.postal_code, body.city, municipality)
    response.status_code = 201 if created else 200
    return _out(found)


async def _registering_for(session: DbSession, scope: Scope, unit_id: uuid.UUID | None) -> uuid.UUID | None:
    """The municipality a recipient is registered for: that of the chosen (or default) granted unit; none
    for the aid centre and admins without units."""
    if not scope.units and (scope.staff or scope.everything):
        return None
    settings = await session.get(Prescriber, scope.account_id)
    return scope.unit(unit_id, settings.service_unit_id if settings else None).parent_id


@router.get("/recipients/{recipient_id}")
async def recipient(recipient_id: uuid.UUID, session: DbSession, scope: Scoped) -> RecipientOut:
    """The recipient's profile (audited)."""
    return _out(await service.visible(session, scope, recipient_id))


class RecipientChange(BaseModel):
    """Only these can change here; the name and address come from the population register."""

    model_config = ConfigDict(extra="forbid")
    phone: str | None = Field(default=None, max_length=40)
    door_code: str | None = Field(default=None, max_length=40)
    infection_flag: bool = False  # a flag is set or not: null is refused


@router.patch("/recipients/{recipient_id}")
async def edit(recipient_id: uuid.UUID, body: RecipientChange, session: DbSession, scope: Scoped) -> RecipientOut:
    return _out(await service.edit(session, scope, recipient_id, body.model_dump(exclude_unset=True)))


class AidOut(BaseModel):
    individual_id: uuid.UUID
    individual_number: str
    article_number: str
    name: str
    delivered_at: datetime


@router.get("/recipients/{recipient_id}/aids")
async def aids(recipient_id: uuid.UUID, session: DbSession, scope: Scoped) -> list[AidOut]:
    """LG-10: the recipient's aids, newest first (audited)."""
    await service.visible(session, scope, recipient_id, action="read recipient aids")
    return [AidOut(individual_id=i.id, individual_number=i.number, article_number=a.number, name=a.name, delivered_at=at)
            for i, a, at in await stock.recipient_individuals(session, recipient_id)]


class ActivityView(BaseModel):
    case_number: str
    activity_type: str
    status: str
    created_at: datetime


class ConsumableView(BaseModel):
    case_number: str
    article_number: str
    name: str
    quantity: int
    status: str


class DeviationView(BaseModel):
    case_number: str
    event_type: str
    category: str
    created_at: datetime


class ReturnedView(BaseModel):
    individual_id: uuid.UUID
    kind: str
    detail: str
    at: datetime


@router.get("/recipients/{recipient_id}/activities")
async def activities(recipient_id: uuid.UUID, session: DbSession, scope: Scoped) -> list[ActivityView]:
    await service.visible(session, scope, recipient_id, action="read recipient history", target="activities")
    return [ActivityView.model_validate(a, from_attributes=True) for a in await views.activities_for(session, scope, recipient_id)]


@router.get("/recipients/{recipient_id}/consumables")
async def consumables(recipient_id: uuid.UUID, session: DbSession, scope: Scoped) -> list[ConsumableView]:
    """LG-18: consumables appear only here, not among the aids or the ordered ones."""
    await service.visible(session, scope, recipient_id, action="read recipient history", target="consumables")
    return [ConsumableView(case_number=o.case_number, article_number=a.number, name=a.name, quantity=line.quantity, status=o.status)
            for o, line, a in await orders.consumables_for(session, scope, recipient_id)]


@router.get("/recipients/{recipient_id}/deviations")
async def deviations(recipient_id: uuid.UUID, session: DbSession, scope: Scoped) -> list[DeviationView]:
    await service.visible(session, scope, recipient_id, action="read recipient history", target="deviations")
    return [DeviationView.model_validate(d, from_attributes=True) for d in await views.deviations_for(session, scope, recipient_id)]


@router.get("/recipients/{recipient_id}/returned")
async def returned(recipient_id: uuid.UUID, session: DbSession, scope: Scoped) -> list[ReturnedView]:
    await service.visible(session, scope, recipient_id, action="read recipient history", target="returned")
    return [ReturnedView.model_validate(e, from_attributes=True) for e in await returns.returned_for(session, recipient_id)]


@router.get("/recipients/{recipient_id}/aid-list.pdf", response_class=Response)
async def aid_list(recipient_id: uuid.UUID, session: DbSession, scope: Scoped,
                   variant: Literal["current", "prescribed"] = "current") -> Response:
    """LG-10: the aid list — current (aids, ordered, open activities) or prescribed aids only (audited)."""
    return Response(await printouts.aid_list_pdf(session, scope, recipient_id, variant), media_type="application/pdf")


class ReceiptIn(BaseModel):
    individual_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)


@router.post("/recipients/{recipient_id}/return-receipts", status_code=201, response_class=Response)
async def return_receipt(recipient_id: uuid.UUID, body: ReceiptIn, session: DbSession, scope: Scoped) -> Response:
    """LG-10: the return receipt (PDF), printed before the return; its number (printed on it, and in
    ``Receipt-Number``) goes with the return (audited)."""
    number, content = await printouts.return_receipt_pdf(session, scope, recipient_id, body.individual_ids)
    return Response(content, status_code=201, media_type="application/pdf", headers={"Receipt-Number": number})
