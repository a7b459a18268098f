"""The client portal's HTTP routes (thin; use cases in clients.service)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from kit.auth import CurrentPrincipal, Principal, require_roles
from kit.service import DbSession
from portal.clients import rules, service

router = APIRouter(tags=["portal"])
Coordinator = Annotated[Principal, Depends(require_roles("care_coordinator"))]


class ClientIn(BaseModel):
    account_id: uuid.UUID = Field(description="The client's account in the gateway (POST /identity/accounts)")
    organisation_id: uuid.UUID | None = Field(default=None, description=(
        "The care organisation (the gateway's directory) where the account holds 'client'; "
        "may be left out by a coordinator of one organisation"))
    display_name: str = Field(min_length=1, max_length=200)
    date_of_birth: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=50)
    email: str | None = Field(default=None, max_length=254)
    contact_person: str | None = Field(default=None, max_length=200)

    @field_validator("date_of_birth")
    @classmethod
    def _a_real_day_in_the_past(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                day = date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{value} is not a date") from None
            if day > datetime.now(UTC).date():
                raise ValueError("the date of birth lies in the future")
        return value


class ProfileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    display_name: str
    date_of_birth: str | None
    address: str | None
    phone: str | None
    email: str | None
    contact_person: str | None


class ClientListed(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    organisation_id: uuid.UUID
    display_name: str


@router.post("/clients", status_code=201)
async def register_client(body: ClientIn, request: Request, session: DbSession, principal: Coordinator) -> ProfileOut:
    """PT-1: a coordinator records a client of their organisation (the account holds "client" there in the
    gateway's directory). Another organisation: a 403 that names it."""
    data = body.model_dump(exclude={"account_id", "organisation_id"})
    record = await service.register_client(session, request.app.state.db, principal, body.organisation_id,
                                           id=body.account_id, **data)
    return ProfileOut.model_validate(record)


@router.get("/clients")
async def clients(session: DbSession, principal: CurrentPrincipal,
                  organisation_id: uuid.UUID | None = None) -> list[ClientListed]:
    """The clients the caller reaches: a coordinator's organisations', a client themself, a representative the
    client of the session, an admin all (audited: one row per client listed)."""
    return [ClientListed.model_validate(c) for c in await service.clients(session, principal, organisation_id)]


async def _client(request: Request, session, principal: Principal, client_id: uuid.UUID, action: str,  # noqa: ANN001
                  write: bool = False) -> service.Reach:
    return await service.reach(session, request.app.state.db, principal, client_id, action, write=write)


@router.get("/clients/{client_id}/profile")
async def profile(client_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal) -> ProfileOut:
    """PT-4: the basic data the organisation holds about the client."""
    reached = await _client(request, session, principal, client_id, "read profile")
    return ProfileOut.model_validate(await service.profile(session, principal, reached))


class ReportIn(BaseModel):
    text: str = Field(min_length=1)


class ReportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    author_name: str
    author_role: str
    text: str
    created_at: datetime


@router.get("/clients/{client_id}/reports")
async def reports(client_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal) -> list[ReportOut]:
    reached = await _client(request, session, principal, client_id, "read reports")
    return [ReportOut.model_validate(r) for r in await service.reports(session, principal, reached)]


@router.post("/clients/{client_id}/reports", status_code=201)
async def write_report(client_id: uuid.UUID, body: ReportIn, request: Request, session: DbSession,
                       principal: CurrentPrincipal) -> ReportOut:
    reached = await _client(request, session, principal, client_id, "write report", write=True)
    return ReportOut.model_validate(await service.write_report(session, principal, reached, body.text))


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    version: int
    title: str
    size: int
    published_at: datetime
    approved_by: uuid.UUID | None
    approved_at: datetime | None


@router.post("/clients/{client_id}/plans", status_code=201)
async def publish_plan(client_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal,
                       title: Annotated[str, Query(min_length=1, max_length=200)]) -> PlanOut:
    """PT-3: a coordinator publishes a plan version: the PDF is the request body (application/pdf)."""
    reached = await _client(request, session, principal, client_id, "publish plan", write=True)
    body = await request.body()
    return PlanOut.model_validate(await service.publish_plan(session, principal, reached, title, body))


@router.get("/clients/{client_id}/plans")
async def plans(client_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal) -> list[PlanOut]:
    reached = await _client(request, session, principal, client_id, "list plans")
    return [PlanOut.model_validate(p) for p in await service.plans(session, principal, reached)]


@router.get("/clients/{client_id}/plans/{plan_id}.pdf", response_class=Response)
async def download_plan(client_id: uuid.UUID, plan_id: uuid.UUID, request: Request, session: DbSession,
                        principal: CurrentPrincipal) -> Response:
    reached = await _client(request, session, principal, client_id, "download plan")
    plan = await service.download_plan(session, principal, reached, plan_id)
    return Response(plan.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="support-plan-v{plan.version}.pdf"'})


@router.post("/clients/{client_id}/plans/{plan_id}/approve")
async def approve_plan(client_id: uuid.UUID, plan_id: uuid.UUID, request: Request, session: DbSession,
                       principal: CurrentPrincipal) -> PlanOut:
    reached = await _client(request, session, principal, client_id, "approve plan", write=True)
    return PlanOut.model_validate(await service.approve_plan(session, principal, reached, plan_id))


class AppointmentIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    starts_at: datetime
    ends_at: datetime


class AppointmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    starts_at: datetime
    ends_at: datetime
    source: str


class DaysOut(BaseModel):
    today: list[AppointmentOut]
    tomorrow: list[AppointmentOut]


@router.get("/clients/{client_id}/appointments")
async def appointments(client_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal,
                       at: datetime | None = None) -> DaysOut:
    """PT-5: today's and tomorrow's appointments in the client's time zone (``at``: another moment as "now")."""
    reached = await _client(request, session, principal, client_id, "read appointments")
    today, tomorrow = await service.appointments(session, principal, reached, at or datetime.now(UTC))
    return DaysOut(today=[AppointmentOut.model_validate(a) for a in today],
                   tomorrow=[AppointmentOut.model_validate(a) for a in tomorrow])


@router.post("/clients/{client_id}/appointments", status_code=201)
async def add_appointment(client_id: uuid.UUID, body: AppointmentIn, request: Request, session: DbSession,
                          principal: CurrentPrincipal) -> AppointmentOut:
    reached = await _client(request, session, principal, client_id, "add appointment", write=True)
    return AppointmentOut.model_validate(
        await service.add_appointment(session, principal, reached, body.title, body.starts_at, body.ends_at))


class MeasurementTypeOut(BaseModel):
    code: str
    name: str
    unit: str
    minimum: float
    maximum: float


@router.get("/measurement-types")
async def measurement_types(principal: CurrentPrincipal) -> list[MeasurementTypeOut]:
    return [MeasurementTypeOut(**vars(t)) for t in rules.MEASUREMENT_TYPES.values()]


class MeasurementIn(BaseModel):
    type: str
    value: float
    measured_at: datetime | None = None


class MeasurementOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    type_code: str
    value: float
    measured_at: datetime


@router.post("/clients/{client_id}/measurements", status_code=201)
async def record_measurement(client_id: uuid.UUID, body: MeasurementIn, request: Request, session: DbSession,
                             principal: CurrentPrincipal) -> MeasurementOut:
    reached = await _client(request, session, principal, client_id, "record measurement", write=True)
    return MeasurementOut.model_validate(
        await service.record_measurement(session, principal, reached, body.type, body.value, body.measured_at))


@router.get("/clients/{client_id}/measurements")
async def measurement_series(client_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal,
                             type: str | None = None) -> list[MeasurementOut]:  # noqa: A002
    reached = await _client(request, session, principal, client_id, "read measurements")
    return [MeasurementOut.model_validate(m) for m in await service.measurements(session, principal, reached, type)]
