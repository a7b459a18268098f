"""Prescriber settings and "my page" (LG-1), news and messages (LG-17)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from kit.directory import Organisation
from kit.service import DbSession
from logistics.access import AidCentre, Staff
from logistics.prescribers import service
from logistics.tenancy import Scope, Scoped

router = APIRouter(tags=["prescribers"])


class SettingsIn(BaseModel):
    """LG-1, among what the aid centre granted: the default service unit (its municipality is the payer) and
    the own stores (buffer stores where you are store keeper)."""

    default_source: Literal["aid_centre", "own_store"]
    service_unit_id: uuid.UUID = Field(description="The default service unit of your orders, one of your granted units")
    own_stores: list[str] = Field(default=[], max_length=20, description="Codes of granted buffer stores")
    expired_articles_enabled: bool = False


class ContactIn(BaseModel):
    phone: str | None = Field(default=None, max_length=40)
    mobile: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    address: str | None = Field(default=None, max_length=400)


class OrganisationOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str


def organisation_out(found: Organisation | None) -> OrganisationOut | None:
    return OrganisationOut(id=found.id, code=found.code, name=found.name) if found else None


class PrescriberOut(ContactIn):
    account_id: uuid.UUID
    name: str
    default_source: str
    service_unit: OrganisationOut | None = Field(description="The default service unit (null when it is no longer granted)")
    payer: OrganisationOut | None = Field(description="The municipality above the default service unit")
    own_stores: list[str]
    expired_articles_enabled: bool
    granted_service_units: list[OrganisationOut] = Field(description="Where you hold the prescriber role: to choose among")
    granted_stores: list[OrganisationOut] = Field(description="Buffer stores where you are store keeper")


def _out(found, scope: Scope) -> PrescriberOut:  # noqa: ANN001
    unit = scope.units.get(found.service_unit_id) if found.service_unit_id else None
    return PrescriberOut(account_id=found.account_id, name=found.name, default_source=found.default_source,
                         service_unit=organisation_out(unit), payer=organisation_out(scope.payer(unit) if unit else None),
                         own_stores=[s for s in found.own_stores if s in scope.stores],
                         expired_articles_enabled=found.expired_articles_enabled, phone=found.phone, mobile=found.mobile,
                         email=found.email, address=found.address,
                         granted_service_units=[organisation_out(u) for u in scope.units.values()],
                         granted_stores=[organisation_out(s) for s in scope.stores.values()])


@router.get("/prescribers/me")
async def my_page(session: DbSession, scope: Scoped) -> PrescriberOut:
    """My page: contact details and settings (404 settings-needed before the first choice)."""
    return _out(await service.me(session, scope.account_id), scope)


@router.put("/prescribers/me/settings")
async def save_settings(body: SettingsIn, session: DbSession, me: Staff, scope: Scoped) -> PrescriberOut:
    """LG-1: chosen at first login, changeable later; only granted service units and stores (403 naming the
    one that is not)."""
    name = str(me.claims.get("name") or "")
    return _out(await service.save_settings(session, scope, name, body.model_dump()), scope)


@router.put("/prescribers/me/contact")
async def save_contact(body: ContactIn, session: DbSession, scope: Scoped) -> PrescriberOut:
    return _out(await service.save_contact(session, scope.account_id, body.model_dump()), scope)


class NewsIn(BaseModel):
    title: str = Field(min_length=2, max_length=200)
    body: str = Field(min_length=1, max_length=10_000)
    to_account_id: uuid.UUID | None = Field(default=None, description="A message to one prescriber; empty: news to all")


class NewsOut(BaseModel):
    id: uuid.UUID
    title: str
    body: str
    to_account_id: uuid.UUID | None
    published_at: datetime
    read: bool = False


@router.post("/news", status_code=201)
async def publish(body: NewsIn, session: DbSession, me: AidCentre) -> NewsOut:
    return NewsOut.model_validate(await service.publish_news(session, me.account_id, body.title, body.body, body.to_account_id),
                                  from_attributes=True)


@router.get("/news")
async def news(session: DbSession, me: Staff) -> list[NewsOut]:
    """LG-17: news to everyone and messages to me, newest first, with what I have read."""
    return [NewsOut(**NewsOut.model_validate(n, from_attributes=True).model_dump(exclude={"read"}), read=r)
            for n, r in await service.news_for(session, me.account_id)]


@router.post("/news/{news_id}/read", status_code=204)
async def read(news_id: uuid.UUID, session: DbSession, me: Staff) -> Response:
    await service.mark_read(session, me.account_id, news_id)
    return Response(status_code=204)
