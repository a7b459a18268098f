"""LG-16: quick search by a full case number, and orders, activities, pickups and deviations by period
and service unit, or "mine", sortable."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.service import DbSession
from logistics.activities.models import Activity, Deviation
from logistics.orders.models import Order
from logistics.returns.models import Pickup
from logistics.stock.models import ReplenishmentOrder
from logistics.tenancy import Scope, Scoped

router = APIRouter(tags=["search"])
KINDS = {"orders": Order, "activities": Activity, "pickups": Pickup, "deviations": Deviation}
PERIODS = {"week": timedelta(days=7), "month": timedelta(days=31), "3months": timedelta(days=92), "year": timedelta(days=366)}
SORTS = ("created_at", "case_number", "status", "service_unit")


class CaseHit(BaseModel):
    kind: str
    id: uuid.UUID
    case_number: str


class Listed(BaseModel):
    id: uuid.UUID
    case_number: str | None
    status: str | None
    service_unit: str | None
    service_unit_code: str | None
    recipient_id: uuid.UUID | None
    created_at: datetime


async def by_case_number(session: AsyncSession, scope: Scope, number: str) -> CaseHit:
    """Of the caller's municipalities only (a replenishment: of their own stores); another's is not found."""
    for kind, model in KINDS.items():
        found = (await session.execute(select(model.id, model.municipality_id).where(model.case_number == number))).first()
        if found is not None:
            if not scope.sees(found.municipality_id):
                break
            return CaseHit(kind=kind, id=found.id, case_number=number)
    else:
        found = (await session.execute(select(ReplenishmentOrder.id, ReplenishmentOrder.warehouse_code)
                                       .where(ReplenishmentOrder.case_number == number))).first()
        if found is not None and (scope.staff or scope.everything or found.warehouse_code in scope.stores):
            return CaseHit(kind="replenishments", id=found.id, case_number=number)
    raise await scope.not_visible("case", number, action="read case")


@router.get("/search/case/{number}")
async def quick_search(number: str, session: DbSession, scope: Scoped) -> CaseHit:
    """A full case number opens what it belongs to: an order, activity, pickup, deviation or replenishment."""
    return await by_case_number(session, scope, number)


@router.get("/search/{kind}")
async def listing(kind: Literal["orders", "activities", "pickups", "deviations"], session: DbSession, scope: Scoped,
                  period: Literal["week", "month", "3months", "year"] = "month", service_unit: str | None = None,
                  mine: bool = False, sort: Literal[SORTS] = "created_at", descending: bool = True,  # type: ignore[valid-type]
                  limit: int = Query(default=100, ge=1, le=500)) -> list[Listed]:
    """By period (week, month, three months, year) and service unit (code or name), of the caller's
    municipalities; ``mine=true`` for my own (as prescriber or, for orders, orderer)."""
    model = KINDS[kind]
    query = select(model).where(model.created_at >= datetime.now(UTC) - PERIODS[period], scope.where(model.municipality_id))
    if kind == "orders":
        query = query.where(model.status != "cart")
    if service_unit:
        query = query.where(or_(model.service_unit_code == service_unit, model.service_unit == service_unit))
    if mine:
        me = scope.account_id
        query = query.where(or_(model.prescriber_id == me, model.orderer_id == me) if kind == "orders" else model.prescriber_id == me)
    column = getattr(model, sort, None)
    if column is None:  # deviations have no status
        column = model.created_at
    query = query.order_by(column.desc() if descending else column, model.id).limit(limit)
    return [Listed(id=row.id, case_number=row.case_number, status=getattr(row, "status", None), service_unit=row.service_unit,
                   service_unit_code=row.service_unit_code, recipient_id=row.recipient_id, created_at=row.created_at) for row in (await session.execute(query)).scalars()]
