"""Prescriber settings and "my page" (LG-1), news and messages (LG-17)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from kit.service import DbSession
from logistics.access import AidCentre, Staff
from logistics.prescribers import service

router = APIRouter(tags=["prescribers"])


class SettingsIn(BaseModel):
    default_source: Literal["aid_centre", "own_store"]
    service_units: list[str] = Field(min_length=1, max_length=20)
    payer: str = Field(min_length=2, max_length=200)
    own_stores: list[str] = Field(default=[], max_length=20)
    expired_articles_enabled: bool = False


class ContactIn(BaseModel):
    phone: str | None = Field(default=None, max_length=40)
    mobile: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)
    address: str | None = Field(default=None, max_length=400)


class PrescriberOut(SettingsIn, ContactIn):
    account_id: uuid.UUID
    name: str


@router.get("/prescribers/me")
async def my_page(session: DbSession, me: Staff) -> PrescriberOut:
    """My page: contact details and settings (404 settings-needed before the first choice)."""
    return PrescriberOut.model_validate(await service.me(session, me.account_id), from_attributes=True)


@router.put("/prescribers/me/settings")
async def save_settings(body: SettingsIn, session: DbSession, me: Staff) -> PrescriberOut:
    """LG-1: chosen at first login, changeable later."""
    name = str(me.claims.get("name") or "")
    return PrescriberOut.model_validate(await service.save_settings(session, me.account_id, name, body.model_dump()), from_attributes=True)


@router.put("/prescribers/me/contact")
async def save_contact(body: ContactIn, session: DbSession, me: Staff) -> PrescriberOut:
    return PrescriberOut.model_validate(await service.save_contact(session, me.account_id, body.model_dump()), from_attributes=True)


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
