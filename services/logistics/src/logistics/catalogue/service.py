"""Catalogue use cases: search (LG-4), the ISO tree (LG-5), article details with components and
replacements (LG-3, LG-6)."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import contains, flush_guarded
from kit.problems import conflict, invalid, not_found
from logistics.catalogue import rules
from logistics.catalogue.models import Article, ArticleComponent, IsoClass, ReplacementMember
from logistics.stock.models import StockBalance, available

_CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")


async def search(session: AsyncSession, text: str, *, article_type: str | None, warehouse: str | None, sort: str,
                 descending: bool, limit: int, offset: int, include_expired: bool, availability_max_hits: int) -> dict:
    try:
        terms = rules.search_terms(text)
    except rules.SearchRuleError as exc:
        raise invalid(str(exc)) from exc
    if sort not in rules.SORTABLE:
        raise invalid(f"sort by one of {', '.join(rules.SORTABLE)}")
    filters = []
    if article_type:
        filters.append(Article.article_type == article_type)
    if not include_expired:
        filters.append(Article.expires_on.is_(None) | (Article.expires_on > func.current_date()))
    # A custom plan for each search: the statements are prepared, and after a few runs PostgreSQL may keep a
    # generic plan that cannot see the pattern — walking the number index and filtering ~half the table
    # for a rare term ("1234": 110 ms instead of 5 ms)
    await session.execute(_CUSTOM_PLANS)
    where = None
    if len(terms) == 1:  # exactly an article number or a supplier's article number: by btree, that article
        exact = [or_(func.lower(Article.number) == terms[0], func.lower(Article.supplier_article_number) == terms[0]),
                 *filters]
        if (await session.execute(select(Article.id).where(*exact).limit(1))).first() is not None:
            where = exact
    if where is None:
        # LIKE on the stored lower-cased text, the pattern lower-cased by PostgreSQL too: what ILIKE matched,
        # without folding the case of every row it reads (a broad term's count: 21 → 13 ms)
        where = [*(Article.search_text.like(func.lower(contains(t))) for t in terms), *filters]
    column = getattr(Article, sort)
    page = (select(Article).where(and_(*where)).order_by(column.desc() if descending else column, Article.number)
            .limit(limit).offset(offset))
    articles = list((await session.execute(page)).scalars())
    # the count stops at COUNT_CAP: a broad search says "more than …" instead of visiting every match
    capped = select(Article.id).where(and_(*where)).limit(rules.COUNT_CAP + 1).subquery()
    total = (await session.execute(select(func.count()).select_from(capped))).scalar_one()
    availability: dict[uuid.UUID, int] | None = None
    note = None
    if warehouse:
        if total < availability_max_hits:
            rows = await session.execute(select(StockBalance.article_id, available()).where(
                StockBalance.warehouse_code == warehouse, StockBalance.article_id.in_([a.id for a in articles])))
            availability = {a.id: 0 for a in articles} | dict(rows.all())
        else:
            note = (f"{total} hits: availability is shown below {availability_max_hits} hits; "
                    "narrow the search to see it")
    return {"total": min(total, rules.COUNT_CAP), "more": total > rules.COUNT_CAP, "articles": articles,
            "availability": availability, "availability_note": note}


async def article(session: AsyncSession, article_id: uuid.UUID) -> Article:
    found = await session.get(Article, article_id)
    if found is None:
        raise not_found("article", article_id)
    return found


async def by_number(session: AsyncSession, number: str) -> Article:
    found = (await session.execute(select(Article).where(Article.number == number))).scalar_one_or_none()
    if found is None:
        raise not_found("article", number)
    return found


async def components(session: AsyncSession, article_id: uuid.UUID) -> list[tuple[ArticleComponent, Article]]:
    query = (select(ArticleComponent, Article).join(Article, Article.id == ArticleComponent.component_id)
             .where(ArticleComponent.article_id == article_id).order_by(ArticleComponent.standard.desc(), Article.number))
    return [(c, a) for c, a in (await session.execute(query)).all()]


async def replacements(session: AsyncSession, article_id: uuid.UUID, warehouse: str | None) -> list[dict]:
    """LG-6: the article's replacement group in rank order, with the stock in ``warehouse``; the first
    available one after the article itself is what an order offers when the article is out of stock."""
    group = (await session.execute(select(ReplacementMember.group_id).where(ReplacementMember.article_id == article_id))).scalar()
    if group is None:
        return []
    query = (select(ReplacementMember.rank, Article, func.coalesce(available(), 0))
             .join(Article, Article.id == ReplacementMember.article_id)
             .outerjoin(StockBalance, and_(StockBalance.article_id == Article.id, StockBalance.warehouse_code == (warehouse or "")))
             .where(ReplacementMember.group_id == group).order_by(ReplacementMember.rank))
    return [{"rank": rank, "article": a, "available": qty if warehouse else None} for rank, a, qty in (await session.execute(query)).all()]


async def first_available(session: AsyncSession, article_id: uuid.UUID, warehouse: str) -> Article | None:
    """The article if it has stock in ``warehouse``, else the best-ranked replacement that has."""
    ranked = await replacements(session, article_id, warehouse)
    if not ranked:
        qty = (await session.execute(select(available()).where(
            StockBalance.article_id == article_id, StockBalance.warehouse_code == warehouse))).scalar() or 0
        return await article(session, article_id) if qty > 0 else None
    own = next(r for r in ranked if r["article"].id == article_id)
    if own["available"] > 0:
        return own["article"]
    return next((r["article"] for r in ranked if r["rank"] > own["rank"] and r["available"] > 0), None)


async def iso_level(session: AsyncSession, code: str | None) -> dict:
    """LG-5: the classes under ``code`` (the 2-digit classes at the top), and at the 6-digit level its articles."""
    if code is not None and await session.get(IsoClass, code) is None:
        raise not_found("ISO 9999 class", code)
    children = list((await session.execute(select(IsoClass).where(
        IsoClass.parent_code.is_(None) if code is None else IsoClass.parent_code == code).order_by(IsoClass.code))).scalars())
    prefix = func.substr(Article.iso_code, 1, len(code or "") + 2)
    counts = dict((await session.execute(select(prefix, func.count()).where(Article.iso_code.like(f"{code or ''}%"))
                                         .group_by(prefix))).all())
    articles = []
    if code is not None and len(code) == 6:
        articles = list((await session.execute(select(Article).where(Article.iso_code == code).order_by(Article.name))).scalars())
    return {"code": code, "children": [{"code": c.code, "title": c.title, "articles": counts.get(c.code, 0)} for c in children],
            "articles": articles}


async def create_article(session: AsyncSession, values: dict) -> Article:
    if await session.get(IsoClass, values["iso_code"]) is None:
        raise invalid(f"ISO 9999 division {values['iso_code']} is not in the classification")
    taken = conflict("article-number-taken", f"article number {values['number']} is taken")
    if (await session.execute(select(Article.id).where(Article.number == values["number"]))).scalar() is not None:
        raise taken
    found = Article(id=uuid.uuid4(), **values)
    session.add(found)
    await flush_guarded(session, {"articles_number_key": taken})  # two clerks, one number, the same moment
    await session.refresh(found)
    return found
