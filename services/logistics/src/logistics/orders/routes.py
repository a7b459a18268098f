"""Order routes (thin; use cases in orders.service)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel, Field, model_validator

from kit.service import DbSession
from logistics import attachments
from logistics.access import AidCentre
from logistics.orders import service
from logistics.prescribers import service as prescribers
from logistics.recipients import service as recipients
from logistics.tenancy import Scoped

router = APIRouter(tags=["orders"])


class AttachmentOut(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int


class LineOut(BaseModel):
    id: uuid.UUID
    article_id: uuid.UUID | None
    article_number: str | None
    name: str | None
    manual_text: str | None
    quantity: int
    source: str
    warehouse_code: str | None
    components: list[dict]
    comment: str | None
    attachments: list[AttachmentOut]


class OrderOut(BaseModel):
    id: uuid.UUID
    case_number: str | None
    kind: str = Field(description="order, or manual when a line is a manual prescription (MANUELL)")
    status: str
    recipient_id: uuid.UUID
    prescriber_id: uuid.UUID = Field(description='The prescriber ("förskrivare"), of the order\'s service unit')
    orderer_id: uuid.UUID = Field(description='Who placed the order ("beställare")')
    service_unit_id: uuid.UUID | None
    service_unit_code: str | None
    service_unit: str = Field(description="The service unit's name")
    payer_id: uuid.UUID | None = Field(description="The municipality above the service unit, which pays")
    payer_code: str | None
    payer: str = Field(description="The paying municipality's name")
    our_reference: str
    infection_flag: bool
    delivery_address: str | None
    delivery_contact: str | None
    instructions: str | None
    joint_delivery: bool
    comment: str | None
    planned_delivery: date | None
    submitted_at: datetime | None
    lines: list[LineOut]
    attachments: list[AttachmentOut]


def _files(found: list) -> list[AttachmentOut]:
    return [AttachmentOut.model_validate(a, from_attributes=True) for a in found]


async def _out(session: DbSession, order) -> OrderOut:  # noqa: ANN001
    rows = await service.lines(session, order.id)
    return OrderOut(**{k: getattr(order, k) for k in OrderOut.model_fields if k not in ("lines", "attachments", "kind", "payer_id")},
                    payer_id=order.municipality_id,
                    kind="manual" if any(line.manual_text for line, _ in rows) else "order",
                    attachments=_files(await attachments.of(session, order_id=order.id)), lines=[
        LineOut(id=line.id, article_id=line.article_id, article_number=a.number if a else None, name=a.name if a else None,
                manual_text=line.manual_text, quantity=line.quantity, source=line.source, warehouse_code=line.warehouse_code,
                components=line.components, comment=line.comment,
                attachments=_files(await attachments.of(session, order_line_id=line.id))) for line, a in rows])


class CartIn(BaseModel):
    service_unit_id: uuid.UUID | None = Field(default=None, description="One of your service units; your default unless given")
    prescriber_id: uuid.UUID | None = Field(default=None, description="Another prescriber of that unit; you unless given")


@router.post("/recipients/{recipient_id}/cart")
async def cart(recipient_id: uuid.UUID, session: DbSession, scope: Scoped, body: CartIn | None = None) -> OrderOut:
    """Your ongoing order for this recipient (made on first use), for the chosen service unit (your default
    unless another granted one is chosen); you are its orderer and, unless another is named, its prescriber."""
    prescriber = await prescribers.me(session, scope.account_id)
    body = body or CartIn()
    return await _out(session, await service.cart(session, scope, prescriber, recipient_id, service_unit_id=body.service_unit_id,
                                                  prescriber_id=body.prescriber_id))


class LineIn(BaseModel):
    article_id: uuid.UUID | None = None
    manual_text: str | None = Field(default=None, max_length=500, description="MANUELL: an article outside the assortment")
    quantity: int = Field(default=1, gt=0, le=1000)
    source: Literal["aid_centre", "own_store"] = "aid_centre"
    warehouse_code: str | None = None
    comment: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _one_kind(self) -> LineIn:
        if (self.article_id is None) == (self.manual_text is None):
            raise ValueError("a line names an article_id, or is a manual prescription with manual_text")
        return self


@router.post("/orders/{order_id}/lines", status_code=201)
async def add_line(order_id: uuid.UUID, body: LineIn, session: DbSession, scope: Scoped) -> OrderOut:
    """Add a line. Not enough available in the warehouse: 409 with the ranked replacements that have. An
    own-store line comes from one of your own stores (403 naming the store otherwise)."""
    await service.add_line(session, scope, order_id, **body.model_dump())
    return await _out(session, await service.own_order(session, scope, order_id))


class ComponentIn(BaseModel):
    article_id: uuid.UUID
    quantity: int = Field(default=1, gt=0, le=20)


class ComponentsIn(BaseModel):
    removed: list[uuid.UUID] = Field(default=[], description="Standard components taken off (article ids)")
    added: list[ComponentIn] = Field(default=[], description="Other components of the article, added to this individual")


@router.put("/orders/{order_id}/lines/{line_id}/components")
async def components(order_id: uuid.UUID, line_id: uuid.UUID, body: ComponentsIn, session: DbSession, scope: Scoped) -> OrderOut:
    await service.change_components(session, scope, order_id, line_id, [str(r) for r in body.removed],
                                    [{"article_id": str(a.article_id), "quantity": a.quantity} for a in body.added])
    return await _out(session, await service.own_order(session, scope, order_id))


@router.post("/orders/{order_id}/attachments", status_code=201)
async def attach_to_order(order_id: uuid.UUID, request: Request, session: DbSession, scope: Scoped, content_type: str = Header(),
                          x_filename: str = Header(max_length=200)) -> AttachmentOut:
    """A file on the order, as the request body (PDF, PNG or JPEG up to 5 MB; the bytes must match the type)."""
    order = await service.own_order(session, scope, order_id, action="change order", write=True)
    service.must_be_open(order)
    added = await attachments.add(session, x_filename, content_type, await request.body(), order_id=order.id)
    return AttachmentOut.model_validate(added, from_attributes=True)


@router.post("/orders/{order_id}/lines/{line_id}/attachments", status_code=201)
async def attach_to_line(order_id: uuid.UUID, line_id: uuid.UUID, request: Request, session: DbSession, scope: Scoped,
                         content_type: str = Header(), x_filename: str = Header(max_length=200)) -> AttachmentOut:
    line = await service.own_line(session, scope, order_id, line_id)
    added = await attachments.add(session, x_filename, content_type, await request.body(), order_line_id=line.id)
    return AttachmentOut.model_validate(added, from_attributes=True)


class ComponentHit(BaseModel):
    article_id: uuid.UUID
    article_number: str
    name: str
    standard: bool


@router.get("/orders/{order_id}/lines/{line_id}/components/search")
async def search_components(order_id: uuid.UUID, line_id: uuid.UUID, session: DbSession, scope: Scoped,
                            q: str = Query(min_length=3, max_length=100)) -> list[ComponentHit]:
    """The components that fit this line's article, by name or number (to add to the individual)."""
    line = await service.own_line(session, scope, order_id, line_id)
    return [ComponentHit(article_id=a.id, article_number=a.number, name=a.name, standard=c.standard)
            for c, a in await service.search_components(session, line, q)]


@router.delete("/orders/{order_id}/lines/{line_id}", status_code=204)
async def remove_line(order_id: uuid.UUID, line_id: uuid.UUID, session: DbSession, scope: Scoped) -> Response:
    await service.remove_line(session, scope, order_id, line_id)
    return Response(status_code=204)


class OrderChange(BaseModel):
    """Only what is sent changes. The two flags are set or not: null is refused."""

    delivery_address: str | None = Field(default=None, max_length=400)
    delivery_contact: str | None = Field(default=None, max_length=200)
    instructions: str | None = Field(default=None, max_length=2000)
    joint_delivery: bool = False
    infection_flag: bool = Field(default=False, description="For this order only; the recipient's default stays")
    comment: str | None = Field(default=None, max_length=2000)
    our_reference: str | None = Field(default=None, min_length=1, max_length=100)
    service_unit_id: uuid.UUID | None = Field(default=None, description="Another of your service units (the payer follows)")
    prescriber_id: uuid.UUID | None = Field(default=None, description="Another prescriber of the order's service unit")


@router.patch("/orders/{order_id}")
async def change(order_id: uuid.UUID, body: OrderChange, session: DbSession, scope: Scoped) -> OrderOut:
    changes = body.model_dump(exclude_unset=True)
    for key in ("service_unit_id", "prescriber_id"):
        if key in changes and changes[key] is None:
            del changes[key]
    return await _out(session, await service.change_order(session, scope, order_id, changes))


@router.post("/orders/{order_id}/submit")
async def submit(order_id: uuid.UUID, request: Request, session: DbSession, scope: Scoped) -> OrderOut:
    """The confirmation: case number, status, planned delivery; the stock is reserved."""
    return await _out(session, await service.submit(session, scope, order_id, request.app.state.settings.partner_pseudonym_key.get_secret_value()))


@router.post("/orders/{order_id}/cancel")
async def cancel(order_id: uuid.UUID, session: DbSession, scope: Scoped) -> OrderOut:
    """Only while the order is registered; by its orderer or prescriber, or the aid centre."""
    return await _out(session, await service.cancel(session, scope, order_id))


@router.post("/orders/{order_id}/delivery")
async def deliver(order_id: uuid.UUID, request: Request, session: DbSession, me: AidCentre, scope: Scoped) -> OrderOut:
    """The aid centre delivered the order."""
    return await _out(session, await service.deliver(session, scope, order_id, request.app.state.settings.partner_pseudonym_key.get_secret_value()))


@router.get("/orders/by-case-number/{case_number}")
async def quick_search(case_number: str, session: DbSession, scope: Scoped) -> OrderOut:
    """LG-16's quick search: a full case number opens the order (of your municipalities)."""
    return await _out(session, await service.by_case_number(session, scope, case_number))


class OrderedOut(BaseModel):
    case_number: str
    article_number: str | None
    name: str | None
    quantity: int
    planned_delivery: date | None


@router.get("/recipients/{recipient_id}/ordered")
async def ordered(recipient_id: uuid.UUID, session: DbSession, scope: Scoped) -> list[OrderedOut]:
    """LG-10: ordered but not yet delivered (audited: a read of the recipient's history)."""
    await recipients.visible(session, scope, recipient_id, action="read recipient history", target="ordered")
    return [OrderedOut(case_number=o.case_number, article_number=a.number if a else None, name=a.name if a else line.manual_text,
                       quantity=line.quantity, planned_delivery=o.planned_delivery)
            for o, line, a in await service.ordered_for(session, scope, recipient_id)]
