"""Warehouse, stock, individual and replenishment routes (thin; use cases in stock.service)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from kit.pdf import PdfDocument
from kit.service import DbSession
from logistics.access import AidCentre, Staff
from logistics.stock import rules, service
from logistics.tenancy import Scoped

router = APIRouter(tags=["stock"])


class WarehouseOut(BaseModel):
    code: str
    name: str
    kind: str
    municipality: str | None


class BalanceOut(BaseModel):
    article_id: uuid.UUID
    article_number: str
    name: str
    article_type: str
    #: An individual-marked article's balance is the number of its individuals in stock in the store
    individual_marked: bool
    quantity: int
    #: What an order can still reserve here: the quantity less what submitted orders hold, never below zero
    available: int


@router.get("/warehouses")
async def warehouses(session: DbSession, me: Staff) -> list[WarehouseOut]:
    return [WarehouseOut.model_validate(w, from_attributes=True) for w in await service.all_warehouses(session)]


@router.get("/warehouses/{code}/balances")
async def balances(code: str, session: DbSession, me: Staff, type: Literal["main", "accessory", "consumable", "service"] | None = None,  # noqa: A002
                   with_balance: bool = True) -> list[BalanceOut]:
    """LG-7: balance per article; ``with_balance=false`` lists zero and negative balances too."""
    return [BalanceOut(article_id=a.id, article_number=a.number, name=a.name, article_type=a.article_type,
                       individual_marked=a.individual_tracked, quantity=q, available=free)
            for a, q, free in await service.balances(session, code, article_type=type, with_balance=with_balance)]


@router.get("/warehouses/{code}/balance-report.pdf", response_class=Response)
async def balance_report(code: str, session: DbSession, me: Staff, with_balance: bool = True) -> Response:
    """LG-7: the stock balance report as PDF."""
    store = await service.warehouse(session, code)
    rows = await service.balances(session, code, article_type=None, with_balance=with_balance)
    doc = PdfDocument(f"Lagersaldo {store.code} {store.name}", subtitle=f"Utskriven {datetime.now(UTC).date().isoformat()}")
    doc.table(["Artikel", "Benämning", "Typ", "Saldo"], [[a.number, a.name, a.article_type, q] for a, q, _ in rows],
              widths=[30, 110, 25, 20], empty="Inga artiklar")
    return Response(doc.output(), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="lagersaldo-{store.code}.pdf"'})


class IndividualOut(BaseModel):
    id: uuid.UUID
    number: str
    serial_number: str
    article_id: uuid.UUID
    status: str
    stock_status: str
    warehouse_code: str | None
    recipient_id: uuid.UUID | None
    purchase_date: date | None
    acquisition_value_minor: int | None
    warranty_until: date | None
    text: str | None
    estimated_age: str | None = None


def _individual(found) -> IndividualOut:  # noqa: ANN001
    out = IndividualOut.model_validate(found, from_attributes=True)
    out.estimated_age = rules.estimated_age(found.purchase_date, datetime.now(UTC).date())
    return out


@router.get("/warehouses/{code}/individuals")
async def individuals_in(code: str, session: DbSession, me: Staff) -> list[IndividualOut]:
    return [_individual(i) for i, _ in await service.individuals_in(session, code)]


class IndividualIn(BaseModel):
    article_id: uuid.UUID
    warehouse_code: str
    number: str = Field(pattern=r"^[0-9A-Za-z-]{3,30}$")
    serial_number: str = Field(min_length=1, max_length=60)
    purchase_date: date | None = None
    acquisition_value_minor: int | None = Field(default=None, ge=0)
    warranty_until: date | None = None
    text: str | None = Field(default=None, max_length=2000)


@router.post("/individuals", status_code=201)
async def register_individual(body: IndividualIn, session: DbSession, me: Staff, scope: Scoped) -> IndividualOut:
    """LG-8: register a new individual: a prescriber a B-aid in an own buffer store (where they are store
    keeper: 403 naming the store otherwise), the aid centre A- and B-aids in its warehouses. The store's
    balance goes up by one."""
    aid_centre = me.has("aid_centre_staff", "admin")
    return _individual(await service.register_individual(session, me.account_id, aid_centre=aid_centre,
                                                         own_stores=list(scope.stores), **body.model_dump()))


class IndividualSearch(BaseModel):
    exact: IndividualOut | None = Field(description="A full individual number opens it directly")
    hits: list[IndividualOut]


@router.get("/individuals/search")
async def search_individuals(session: DbSession, scope: Scoped, q: str = Query(max_length=60)) -> IndividualSearch:
    """Individuals delivered to recipients of another municipality are not among the hits."""
    found = await service.search_individuals(session, q, scope)
    return IndividualSearch(exact=_individual(found["exact"]) if found["exact"] else None, hits=[_individual(i) for i in found["hits"]])


class EventOut(BaseModel):
    at: datetime
    kind: str
    detail: str
    recipient_id: uuid.UUID | None


class IndividualDetail(IndividualOut):
    history: list[EventOut]


@router.get("/individuals/{individual_id}")
async def individual(individual_id: uuid.UUID, session: DbSession, scope: Scoped) -> IndividualDetail:
    """Every attribute and the history: status changes, recipients, activities. One delivered to a recipient
    of another municipality is not found here; earlier recipients of other municipalities are not named."""
    found = await service.individual(session, individual_id, scope=scope)
    events = await service.history(session, individual_id)
    shown = await service.visible_recipients(session, scope, {e.recipient_id for e in events if e.recipient_id})
    return IndividualDetail(**_individual(found).model_dump(), history=[
        EventOut(at=e.at, kind=e.kind, detail=e.detail, recipient_id=e.recipient_id if e.recipient_id in shown else None)
        for e in events])


class RenumberIn(BaseModel):
    number: str = Field(pattern=r"^[0-9A-Za-z-]{3,30}$")
    confirm: bool = Field(default=False, description="Changing an individual number must be confirmed")


@router.post("/individuals/{individual_id}/number")
async def renumber(individual_id: uuid.UUID, body: RenumberIn, session: DbSession, scope: Scoped) -> IndividualOut:
    """An individual in a buffer store is renumbered only by its store keepers (and the aid centre)."""
    return _individual(await service.renumber(session, scope, individual_id, body.number, body.confirm))


class DeliveryIn(BaseModel):
    recipient_id: uuid.UUID


@router.post("/individuals/{individual_id}/delivery")
async def deliver(individual_id: uuid.UUID, body: DeliveryIn, request: Request, session: DbSession, scope: Scoped) -> IndividualOut:
    """LG-8: deliver an individual from your own buffer store to a recipient of your municipalities."""
    return _individual(await service.deliver(session, scope, individual_id, body.recipient_id,
                                             request.app.state.settings.partner_pseudonym_key.get_secret_value()))


class LineIn(BaseModel):
    article_id: uuid.UUID
    quantity: int = Field(gt=0, le=10_000)


class ReplenishmentIn(BaseModel):
    lines: list[LineIn] = Field(min_length=1, max_length=200)


class ReplenishmentOut(BaseModel):
    id: uuid.UUID
    case_number: str
    warehouse_code: str
    status: str
    created_at: datetime


@router.post("/warehouses/{code}/replenishments", status_code=201)
async def replenish(code: str, body: ReplenishmentIn, session: DbSession, scope: Scoped) -> ReplenishmentOut:
    """LG-7: a stock replenishment order to your own store (403 naming the store otherwise); it gets a case
    number (LG-2) at once."""
    order = await service.replenish(session, scope.account_id, code, list(scope.stores), [(line.article_id, line.quantity) for line in body.lines])
    await session.flush()
    await session.refresh(order)
    return ReplenishmentOut.model_validate(order, from_attributes=True)


@router.post("/replenishments/{order_id}/receive")
async def receive(order_id: uuid.UUID, session: DbSession, me: AidCentre) -> ReplenishmentOut:
    """The aid centre delivered the order: the store's balances go up."""
    return ReplenishmentOut.model_validate(await service.receive_replenishment(session, order_id), from_attributes=True)

