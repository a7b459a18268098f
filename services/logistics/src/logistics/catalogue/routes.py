"""Catalogue routes: search, article details, the ISO 9999 tree, and the aid centre's article upkeep."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from kit.service import DbSession
from logistics.access import AidCentre, Staff
from logistics.catalogue import service
from logistics.catalogue.models import Article
from logistics.prescribers.models import Prescriber

router = APIRouter(tags=["catalogue"])
ArticleType = Literal["main", "accessory", "consumable", "service"]


class ArticleOut(BaseModel):
    id: uuid.UUID
    number: str
    name: str
    supplier: str
    supplier_article_number: str
    article_type: str
    unit: str
    pack_size: int
    product_group: str
    iso_code: str
    new_price_minor: int
    currency: str
    debit_form: str
    aid_class: str
    individual_tracked: bool
    responsibility: str
    documents: list[dict]
    expires_on: date | None


class Hit(ArticleOut):
    available: int | None = Field(description="Stock in the chosen warehouse, when shown")


class SearchOut(BaseModel):
    total: int = Field(description="Hits, exact up to 1000")
    more: bool = Field(description="True when there are more hits than ``total`` says")
    availability_note: str | None
    hits: list[Hit]


def _article(a: Article) -> ArticleOut:
    return ArticleOut.model_validate(a, from_attributes=True)


@router.get("/articles/search")
async def search(request: Request, session: DbSession, me: Staff, q: str = Query(max_length=200), type: ArticleType | None = None,  # noqa: A002
                 warehouse: str | None = None, sort: str = "number", descending: bool = False,
                 limit: int = Query(default=50, ge=1, le=200), offset: int = Query(default=0, ge=0)) -> SearchOut:
    """LG-4: every space-separated term (3+ characters) must match the name, supplier, supplier's article
    number or article number. One term that is exactly an article number or a supplier's article number
    (any case) answers with those articles alone, found by btree before any trigram search. Availability in
    ``warehouse`` is shown only below a maximum hit count."""
    prescriber = await session.get(Prescriber, me.account_id)
    found = await service.search(session, q, article_type=type, warehouse=warehouse, sort=sort, descending=descending,
                                 limit=limit, offset=offset, include_expired=bool(prescriber and prescriber.expired_articles_enabled),
                                 availability_max_hits=request.app.state.settings.search_availability_max_hits)
    availability = found["availability"]
    return SearchOut(total=found["total"], more=found["more"], availability_note=found["availability_note"],
                     hits=[Hit(**_article(a).model_dump(), available=availability.get(a.id) if availability is not None else None)
                           for a in found["articles"]])


class ComponentOut(BaseModel):
    article: ArticleOut
    standard: bool
    quantity: int


class ReplacementOut(BaseModel):
    rank: int
    article: ArticleOut
    available: int | None


class ArticleDetail(ArticleOut):
    components: list[ComponentOut]
    replacements: list[ReplacementOut]


@router.get("/articles/{article_id}")
async def article(article_id: uuid.UUID, session: DbSession, me: Staff, warehouse: str | None = None) -> ArticleDetail:
    """LG-3/LG-6: every attribute, the individual template (standard components) and other components,
    and the replacement group in rank order with stock in ``warehouse``."""
    found = await service.article(session, article_id)
    components = [ComponentOut(article=_article(a), standard=c.standard, quantity=c.quantity)
                  for c, a in await service.components(session, article_id)]
    replacements = [ReplacementOut(rank=r["rank"], article=_article(r["article"]), available=r["available"])
                    for r in await service.replacements(session, article_id, warehouse)]
    return ArticleDetail(**_article(found).model_dump(), components=components, replacements=replacements)


class IsoChild(BaseModel):
    code: str
    title: str
    articles: int


class IsoLevel(BaseModel):
    code: str | None
    children: list[IsoChild]
    articles: list[ArticleOut]


@router.get("/iso-tree")
async def iso_tree(session: DbSession, me: Staff, code: str | None = Query(default=None, pattern=r"^([0-9]{2}){1,3}$")) -> IsoLevel:
    """LG-5: the ISO 9999 classes under ``code`` (2, 4, 6 digits) with article counts; at 6 digits, the articles."""
    level = await service.iso_level(session, code)
    return IsoLevel(code=level["code"], children=[IsoChild(**c) for c in level["children"]],
                    articles=[_article(a) for a in level["articles"]])


class ArticleIn(BaseModel):
    number: str = Field(pattern=r"^[0-9A-Z-]{3,20}$")
    name: str = Field(min_length=2, max_length=200)
    supplier: str = Field(min_length=2, max_length=200)
    supplier_article_number: str = Field(min_length=1, max_length=50)
    article_type: ArticleType
    unit: str = "st"
    pack_size: int = Field(default=1, ge=1)
    product_group: str = ""
    iso_code: str = Field(pattern=r"^[0-9]{6}$")
    new_price_minor: int = Field(ge=0)
    debit_form: Literal["rent", "purchase"]
    aid_class: Literal["A", "B"]
    individual_tracked: bool = False
    responsibility: str = ""
    documents: list[dict] = []
    expires_on: date | None = None


@router.post("/articles", status_code=201)
async def create_article(body: ArticleIn, session: DbSession, me: AidCentre) -> ArticleOut:
    """The aid centre adds an article to the assortment."""
    return _article(await service.create_article(session, body.model_dump()))
