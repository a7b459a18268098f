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
    """An aid the recipient has: an individual (one, by its individual number) or a holding of an aid without
    individual numbers (an accessory or a purchased aid, by quantity; consumables are in their own view)."""

    kind: Literal["individual", "holding"]
    individual_id: uuid.UUID | None = None
    individual_number: str | None = None
    holding_id: uuid.UUID | None = Field(default=None, description="Name it with a quantity on a pickup or a return")
    article_id: uuid.UUID
    article_number: str
    article_type: str
    name: str
    quantity: int
    delivered_at: datetime
    order_case_number: str | None = None
    service_unit: str | None = None
    payer: str | None = None


def _aids(individuals: list, holdings: list) -> list[AidOut]:
    found = [AidOut(kind="individual", individual_id=i.id, individual_number=i.number, article_id=a.id, article_number=a.number,
                    article_type=a.article_type, name=a.name, quantity=1, delivered_at=at) for i, a, at in individuals]
    found += [AidOut(kind="holding", holding_id=h.id, article_id=a.id, article_number=a.number, article_type=a.article_type,
                     name=a.name, quantity=h.quantity, delivered_at=h.delivered_at, order_case_number=case_number,
                     service_unit=h.service_unit, payer=h.payer) for h, a, case_number in holdings]
    return sorted(found, key=lambda aid: aid.delivered_at, reverse=True)


@router.get("/recipients/{recipient_id}/aids")
async def aids(recipient_id: uuid.UUID, session: DbSession, scope: Scoped) -> list[AidOut]:
    """LG-10/LG-21: the recipient's aids, newest first: individuals and the holdings of aids without individual
    numbers with their quantity (consumables only in their own view, LG-18). Audited."""
    await service.visible(session, scope, recipient_id, action="read recipient aids")
    return _aids(await stock.recipient_individuals(session, recipient_id),
                 await service.held_aids(session, recipient_id, consumables=False))


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
    holding_id: uuid.UUID | None = Field(default=None, description="Delivered: the recipient's holding of it")


class DeviationView(BaseModel):
    case_number: str
    event_type: str
    category: str
    created_at: datetime


class ReturnedView(BaseModel):
    """What came back: an individual, or a quantity of a holding."""

    individual_id: uuid.UUID | None = None
    holding_id: uuid.UUID | None = None
    article_number: str | None = None
    quantity: int = 1
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
    held = {h.order_line_id: h for h, _ in await service.holdings_of(session, recipient_id, consumables=True)}
    return [ConsumableView(case_number=o.case_number, article_number=a.number, name=a.name, quantity=line.quantity, status=o.status,
                           holding_id=held[line.id].id if line.id in held else None)
            for o, line, a in await orders.consumables_for(session, scope, recipient_id)]


@router.get("/recipients/{recipient_id}/deviations")
async def deviations(recipient_id: uuid.UUID, session: DbSession, scope: Scoped) -> list[DeviationView]:
    await service.visible(session, scope, recipient_id, action="read recipient history", target="deviations")
    return [DeviationView.model_validate(d, from_attributes=True) for d in await views.deviations_for(session, scope, recipient_id)]


@router.get("/recipients/{recipient_id}/returned")
async def returned(recipient_id: uuid.UUID, session: DbSession, scope: Scoped) -> list[ReturnedView]:
    await service.visible(session, scope, recipient_id, action="read recipient history", target="returned")
    found = [ReturnedView.model_validate(e, from_attributes=True) for e in await returns.returned_for(session, recipient_id)]
    found += [ReturnedView(holding_id=h.id, article_number=a.number, quantity=e.quantity, kind=e.kind, detail=e.detail, at=e.at)
              for e, h, a in await service.holdings_back(session, recipient_id)]
    return sorted(found, key=lambda r: r.at, reverse=True)


@router.get("/recipients/{recipient_id}/aid-list.pdf", response_class=Response)
async def aid_list(recipient_id: uuid.UUID, session: DbSession, scope: Scoped,
                   variant: Literal["current", "prescribed"] = "current") -> Response:
    """LG-10: the aid list — current (aids, ordered, open activities) or prescribed aids only (audited)."""
    return Response(await printouts.aid_list_pdf(session, scope, recipient_id, variant), media_type="application/pdf")


class HeldQuantity(BaseModel):
    holding_id: uuid.UUID = Field(description="The recipient's holding (holding_id in the aids view)")
    quantity: int = Field(default=1, gt=0, le=1000)


class ReceiptIn(BaseModel):
    individual_ids: list[uuid.UUID] = Field(default=[], max_length=100)
    holdings: list[HeldQuantity] = Field(default=[], max_length=100, description="Aids without individual numbers handed back")


@router.post("/recipients/{recipient_id}/return-receipts", status_code=201, response_class=Response)
async def return_receipt(recipient_id: uuid.UUID, body: ReceiptIn, session: DbSession, scope: Scoped) -> Response:
    """LG-10: the return receipt (PDF), printed before the return; its number (printed on it, and in
    ``Receipt-Number``) goes with the return (audited)."""
    number, content = await printouts.return_receipt_pdf(session, scope, recipient_id, body.individual_ids,
                                                         [h.model_dump() for h in body.holdings])
    return Response(content, status_code=201, media_type="application/pdf", headers={"Receipt-Number": number})
