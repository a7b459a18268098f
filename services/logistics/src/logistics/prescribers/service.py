"""Prescriber settings (LG-1) and news (LG-17)."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kit.problems import Problem, invalid
from logistics.prescribers.models import News, NewsRead, Prescriber
from logistics.stock.models import Warehouse
from logistics.tenancy import Scope


async def me(session: AsyncSession, account_id: uuid.UUID) -> Prescriber:
    found = await session.get(Prescriber, account_id)
    if found is None or found.service_unit_id is None:
        raise Problem(404, "settings-needed", "first login: choose your delivery source, service unit, payer and own stores "
                                              "(PUT /prescribers/me/settings)")
    return found


async def save_settings(session: AsyncSession, scope: Scope, name: str, values: dict) -> Prescriber:
    """LG-1 among the grants: the unit must be one where the caller is prescriber, each store one where they
    are store keeper (a 403 names the first that is not)."""
    account_id = scope.account_id
    scope.unit(values["service_unit_id"])
    stores = list(dict.fromkeys(values.get("own_stores") or []))
    for code in stores:
        scope.own_store(code)
    values = values | {"own_stores": stores}
    known = set((await session.execute(select(Warehouse.code).where(Warehouse.code.in_(stores), Warehouse.kind == "buffer_store"))).scalars())
    unknown = [s for s in stores if s not in known]
    if unknown:
        raise invalid(f"not buffer stores: {', '.join(unknown)}")
    if values["default_source"] == "own_store" and not stores:
        raise invalid("deliveries from an own store need at least one own store")
    statement = insert(Prescriber).values(account_id=account_id, name=name, **values)
    await session.execute(statement.on_conflict_do_update(index_elements=["account_id"], set_=values))
    found = await session.get(Prescriber, account_id)
    await session.refresh(found)
    return found


async def save_contact(session: AsyncSession, account_id: uuid.UUID, values: dict) -> Prescriber:
    found = await me(session, account_id)
    for field, value in values.items():
        setattr(found, field, value)
    return found


async def publish_news(session: AsyncSession, author: uuid.UUID, title: str, body: str, to: uuid.UUID | None) -> News:
    news = News(id=uuid.uuid4(), title=title, body=body, author_id=author, to_account_id=to)
    session.add(news)
    await session.flush()
    await session.refresh(news)
    return news


async def news_for(session: AsyncSession, account_id: uuid.UUID) -> list[tuple[News, bool]]:
    query = (select(News, NewsRead.read_at.is_not(None))
             .outerjoin(NewsRead, and_(NewsRead.news_id == News.id, NewsRead.account_id == account_id))
             .where(or_(News.to_account_id.is_(None), News.to_account_id == account_id)).order_by(News.published_at.desc()))
    return [(n, bool(r)) for n, r in (await session.execute(query)).all()]


async def mark_read(session: AsyncSession, account_id: uuid.UUID, news_id: uuid.UUID) -> None:
    await session.execute(insert(NewsRead).values(news_id=news_id, account_id=account_id).on_conflict_do_nothing())
