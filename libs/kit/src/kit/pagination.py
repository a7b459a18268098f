"""Paging for list endpoints: ``?limit=&offset=`` in, ``{"items", "total", "limit", "offset"}`` out.

    @router.get("/orders")
    async def list_orders(session: DbSession, page: PageParams) -> Page[OrderOut]:
        return await paginate(session, select(Order).order_by(Order.created_at.desc()), page, OrderOut)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

MAX_LIMIT = 200


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def _paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")] = 50,
    offset: Annotated[int, Query(ge=0, description="Items to skip")] = 0,
) -> Paging:
    return Paging(limit, offset)


PageParams = Annotated[Paging, Depends(_paging)]


async def paginate(
    session: AsyncSession, query: Select[Any], paging: Paging, item: type[T] | Callable[[Any], T]
) -> Page[T]:
    """One page of ``query``'s scalars, each turned into ``item`` (a pydantic model read from the row's
    attributes, or any callable), with the total count of the whole result."""
    total = (await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one()
    rows = (await session.execute(query.limit(paging.limit).offset(paging.offset))).scalars().all()
    if isinstance(item, type) and issubclass(item, BaseModel):
        items = [item.model_validate(row, from_attributes=True) for row in rows]
    else:
        items = [item(row) for row in rows]
    return Page[Any](items=items, total=total, limit=paging.limit, offset=paging.offset)
