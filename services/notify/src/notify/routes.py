"""Notify's HTTP routes: the delivery log (admins) and, in development and tests only, the mails and
SMS the local sinks received, so a person (and a test) can read them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from kit.auth import Principal, require_roles
from kit.service import DbSession
from notify.messages.service import deliveries
from notify.models import DevMail, DevSms

router = APIRouter(tags=["notify"])


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    channel: str
    recipient: str
    template: str
    language: str
    status: str
    attempts: int
    last_error: str | None
    source_event_type: str
    source_event_id: uuid.UUID
    due_at: datetime
    sent_at: datetime | None


class SmsOut(BaseModel):
    """One message a development sink received. Mails and SMS have the same fields (a mail adds its subject),
    so a test or a person reads either the same way."""

    received_at: datetime
    sender: str
    to: str
    body: str


class MailOut(SmsOut):
    subject: str


@router.get("/deliveries")
async def delivery_log(
    session: DbSession, principal: Annotated[Principal, Depends(require_roles("admin"))],
    status: str | None = None, template: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    """Every message with its status: queued, sent, failed (with the reason) or replaced."""
    return [DeliveryOut.model_validate(m) for m in await deliveries(session, status=status, template=template, limit=limit)]


#: What the development sinks received: development and tests only (kit.service includes it only outside
#: production).
dev_router = APIRouter(tags=["development"])


@dev_router.get("/dev/mail")
async def dev_mail(session: DbSession, to: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[MailOut]:
    """Mails the development SMTP sink received, newest first."""
    query = select(DevMail).order_by(DevMail.id.desc()).limit(limit)
    if to:
        query = query.where(DevMail.rcpt_to == to)
    return [MailOut(received_at=m.received_at, sender=m.mail_from, to=m.rcpt_to, subject=m.subject, body=m.body)
            for m in (await session.execute(query)).scalars()]


@dev_router.get("/dev/sms")
async def dev_sms(session: DbSession, to: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[SmsOut]:
    """SMS the development adapter stored instead of sending, newest first."""
    query = select(DevSms).order_by(DevSms.id.desc()).limit(limit)
    if to:
        query = query.where(DevSms.to_number == to)
    return [SmsOut(received_at=m.created_at, sender=m.sender, to=m.to_number, body=m.text)
            for m in (await session.execute(query)).scalars()]
