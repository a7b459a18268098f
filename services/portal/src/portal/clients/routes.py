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
Admin = Annotated[Principal, Depends(require_roles("admin"))]
Coordinator = Annotated[Principal, Depends(require_roles("care_coordinator"))]


class OrganisationIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    time_zone: str = "Europe/Amsterdam"


class Created(BaseModel):
    id: uuid.UUID


@router.post("/organisations", status_code=201)
async def create_organisation(body: OrganisationIn, session: DbSession, principal: Admin) -> Created:
    return Created(id=(await service.create_organisation(session, body.name, body.time_zone)).id)


class CoordinatorIn(BaseModel):
    account_id: uuid.UUID


@router.post("/organisations/{organisation_id}/coordinators", status_code=204)
async def add_coordinator(organisation_id: uuid.UUID, body: CoordinatorIn, session: DbSession, principal: Admin) -> None:
    await service.add_coordinator(session, organisation_id, body.account_id)


class ClientIn(BaseModel):
    account_id: uuid.UUID = Field(description="The client's account in the gateway (POST /identity/accounts)")
    organisation_id: uuid.UUID
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


@router.post("/clients", status_code=201)
async def register_client(body: ClientIn, session: DbSession, principal: Coordinator) -> ProfileOut:
    data = body.model_dump(exclude={"account_id", "organisation_id"})
    record = await service.register_client(session, principal, body.organisation_id, id=body.account_id, **data)
    return ProfileOut.model_validate(record)


async def _client(request: Request, session, principal: Principal, client_id: uuid.UUID, action: str):  # noqa: ANN001, ANN202
    return await service.reach(session, request.app.state.db, principal, client_id, action)


@router.get("/clients/{client_id}/profile")
async def profile(client_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal) -> ProfileOut:
    """PT-4: the basic data the organisation holds about the client."""
    return ProfileOut.model_validate(await _client(request, session, principal, client_id, "read profile"))


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
    client = await _client(request, session, principal, client_id, "read reports")
    return [ReportOut.model_validate(r) for r in await service.reports(session, client)]


@router.post("/clients/{client_id}/reports", status_code=201)
async def write_report(client_id: uuid.UUID, body: ReportIn, request: Request, session: DbSession,
                       principal: CurrentPrincipal) -> ReportOut:
    client = await _client(request, session, principal, client_id, "write report")
    return ReportOut.model_validate(await service.write_report(session, principal, client, body.text))


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
    client = await _client(request, session, principal, client_id, "publish plan")
    body = await request.body()
    return PlanOut.model_validate(await service.publish_plan(session, principal, client, title, body))


@router.get("/clients/{client_id}/plans")
async def plans(client_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal) -> list[PlanOut]:
    client = await _client(request, session, principal, client_id, "list plans")
    return [PlanOut.model_validate(p) for p in await service.plans(session, client)]


@router.get("/clients/{client_id}/plans/{plan_id}.pdf", response_class=Response)
async def download_plan(client_id: uuid.UUID, plan_id: uuid.UUID, request: Request, session: DbSession,
                        principal: CurrentPrincipal) -> Response:
    client = await _client(request, session, principal, client_id, "download plan")
    plan = await service.plan_of(session, client, plan_id)
    return Response(plan.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="support-plan-v{plan.version}.pdf"'})


@router.post("/clients/{client_id}/plans/{plan_id}/approve")
async def approve_plan(client_id: uuid.UUID, plan_id: uuid.UUID, request: Request, session: DbSession,
                       principal: CurrentPrincipal) -> PlanOut:
    client = await _client(request, session, principal, client_id, "approve plan")
    return PlanOut.model_validate(await service.approve_plan(session, principal, client, plan_id))


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
    client = await _client(request, session, principal, client_id, "read appointments")
    now = at or datetime.now(UTC)
    return DaysOut(today=[AppointmentOut.model_validate(a) for a in await service.appointments_on(session, client, now, 0)],
                   tomorrow=[AppointmentOut.model_validate(a) for a in await service.appointments_on(session, client, now, 1)])


@router.post("/clients/{client_id}/appointments", status_code=201)
async def add_appointment(client_id: uuid.UUID, body: AppointmentIn, request: Request, session: DbSession,
                          principal: CurrentPrincipal) -> AppointmentOut:
    client = await _client(request, session, principal, client_id, "add appointment")
    return AppointmentOut.model_validate(await service.add_appointment(session, client, body.title, body.starts_at, body.ends_at))


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
    client = await _client(request, session, principal, client_id, "record measurement")
    return MeasurementOut.model_validate(
        await service.record_measurement(session, principal, client, body.type, body.value, body.measured_at))


@router.get("/clients/{client_id}/measurements")
async def measurement_series(client_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal,
                             type: str | None = None) -> list[MeasurementOut]:  # noqa: A002
    client = await _client(request, session, principal, client_id, "read measurements")
    return [MeasurementOut.model_validate(m) for m in await service.measurements(session, client, type)]
