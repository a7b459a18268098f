"""Activity and deviation routes (thin; use cases in activities.service)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, Field

from kit.service import DbSession
from logistics import attachments
from logistics.access import AidCentre
from logistics.activities import service
from logistics.activities.models import ACTIVITY_TYPES
from logistics.prescribers import service as prescribers
from logistics.tenancy import Scoped

router = APIRouter(tags=["activities and deviations"])
ActivityType = Literal[ACTIVITY_TYPES]  # type: ignore[valid-type]


class FileIn(BaseModel):
    filename: str = Field(min_length=1, max_length=200)
    content_type: str
    content_base64: str


class ActivityIn(BaseModel):
    activity_type: ActivityType
    priority: Literal["normal", "high", "urgent"] = "normal"
    recipient_id: uuid.UUID | None = None
    individual_id: uuid.UUID | None = None
    article_id: uuid.UUID | None = None
    order_id: uuid.UUID | None = Field(default=None, description="Linked to an order of main aids: blocks its delivery until closed")
    infection_flag: bool | None = None
    description: str = Field(min_length=3, max_length=4000, description="Wanted action or fault description")
    comment: str | None = Field(default=None, max_length=2000)
    address_instruction: str | None = Field(default=None, max_length=400)
    address: str | None = Field(default=None, max_length=400)
    service_unit_id: uuid.UUID | None = Field(default=None, description="One of your service units; your default unless given")
    attachments: list[FileIn] = Field(default=[], max_length=10, description="A special adaptation needs its form here")


class AttachmentOut(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size_bytes: int


class ActivityOut(BaseModel):
    id: uuid.UUID
    case_number: str
    activity_type: str
    priority: str
    status: str
    recipient_id: uuid.UUID | None
    individual_id: uuid.UUID | None
    order_id: uuid.UUID | None
    prescriber_id: uuid.UUID
    service_unit_id: uuid.UUID | None
    service_unit_code: str | None
    service_unit: str
    infection_flag: bool
    description: str
    work_done: str | None
    created_at: datetime
    closed_at: datetime | None
    attachments: list[AttachmentOut] = []


async def _out(session: DbSession, found) -> ActivityOut:  # noqa: ANN001
    out = ActivityOut.model_validate(found, from_attributes=True)
    out.attachments = [AttachmentOut.model_validate(a, from_attributes=True) for a in await attachments.of(session, activity_id=found.id)]
    return out


@router.post("/activities", status_code=201)
async def open_activity(body: ActivityIn, session: DbSession, scope: Scoped) -> ActivityOut:
    """LG-14: a work order on an aid, for one of your service units."""
    prescriber = await prescribers.me(session, scope.account_id)
    values = body.model_dump(exclude={"attachments"})
    return await _out(session, await service.open_activity(session, scope, prescriber, values, [f.model_dump() for f in body.attachments]))


@router.post("/activities/{activity_id}/attachments", status_code=201)
async def attach(activity_id: uuid.UUID, request: Request, session: DbSession, scope: Scoped,
                 content_type: str = Header(), x_filename: str = Header(max_length=200)) -> AttachmentOut:
    """Another file, as the request body (PDF, PNG or JPEG up to 5 MB; the bytes must match the type)."""
    found = await service.activity(session, scope, activity_id, action="attach to activity")
    added = await attachments.add(session, x_filename, content_type, await request.body(), activity_id=found.id)
    return AttachmentOut.model_validate(added, from_attributes=True)


class CloseIn(BaseModel):
    work_done: str = Field(min_length=3, max_length=4000)


@router.post("/activities/{activity_id}/close")
async def close(activity_id: uuid.UUID, body: CloseIn, session: DbSession, me: AidCentre, scope: Scoped) -> ActivityOut:
    """Report back with the work done, and close."""
    return await _out(session, await service.close(session, scope, activity_id, body.work_done))


@router.get("/activities/{activity_id}")
async def get_activity(activity_id: uuid.UUID, session: DbSession, scope: Scoped) -> ActivityOut:
    return await _out(session, await service.activity(session, scope, activity_id))


class DeviationIn(BaseModel):
    event_type: Literal["negative_event", "near_miss", "complaint"]
    category: str = Field(min_length=2, max_length=100)
    description: str = Field(min_length=3, max_length=4000)
    recipient_id: uuid.UUID | None = None
    individual_ids: list[uuid.UUID] = Field(default=[], max_length=50)
    service_unit_id: uuid.UUID | None = Field(default=None, description="One of your service units; your default unless given")


class DeviationOut(DeviationIn):
    id: uuid.UUID
    case_number: str
    service_unit_code: str | None
    service_unit: str
    created_at: datetime


@router.post("/deviations", status_code=201)
async def report(body: DeviationIn, session: DbSession, scope: Scoped) -> DeviationOut:
    """LG-15: a negative event, a near miss or a complaint, optionally about some aids, for one of your units."""
    prescriber = await prescribers.me(session, scope.account_id)
    return DeviationOut.model_validate(await service.report_deviation(session, scope, prescriber, body.model_dump()), from_attributes=True)
