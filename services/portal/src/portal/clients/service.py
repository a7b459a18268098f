"""Portal use cases. Every access to a client's data goes through ``reach`` (PT-7): a client reaches
only themself, a representative only the client chosen in their session (the token's ``act``, which
the gateway issues only for clients they represent), a coordinator only the clients of their
organisation. Every read and every denial is written to the access audit; a denial in a transaction of
its own, since the request's is rolled back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.db import Database
from kit.problems import Problem, conflict, forbidden, invalid, not_found
from portal.clients import rules
from portal.models import (
    AccessAudit,
    Appointment,
    ClientRecord,
    Coordinator,
    Measurement,
    Organisation,
    Report,
    SupportPlan,
)


async def reach(session: AsyncSession, db: Database, principal: Principal, client_id: uuid.UUID, action: str) -> ClientRecord:
    client = await session.get(ClientRecord, client_id)
    reason = None
    if client is None:
        reason = "no such client"
    elif principal.has("client") and principal.account_id == client_id:
        pass
    elif principal.has("representative") and principal.acting_for == client_id:
        pass
    elif principal.has("representative"):
        reason = "a representative reaches only the client chosen for this session"
    elif principal.has("care_coordinator"):
        member = await session.get(Coordinator, (principal.account_id, client.organisation_id))
        reason = None if member else "the client belongs to another organisation"
    else:
        reason = "not the client, their representative or their coordinator"
    if reason:
        async with db.transaction() as own:
            own.add(AccessAudit(account_id=principal.account_id, client_id=client_id, action=action, allowed=False, reason=reason))
        if client is None:
            raise not_found("client", client_id)
        raise forbidden(reason)
    session.add(AccessAudit(account_id=principal.account_id, client_id=client_id, action=action, allowed=True))
    return client  # type: ignore[return-value]


def _role(principal: Principal) -> str:
    for role in ("care_coordinator", "representative", "client"):
        if principal.has(role):
            return role
    return sorted(principal.roles)[0] if principal.roles else "unknown"


# -- organisations and client records (PT-1, PT-4) --------------------------------------------------------------
async def create_organisation(session: AsyncSession, name: str, time_zone: str) -> Organisation:
    organisation = Organisation(id=uuid.uuid4(), name=name, time_zone=time_zone)
    session.add(organisation)
    await session.flush()
    return organisation


async def add_coordinator(session: AsyncSession, organisation_id: uuid.UUID, account_id: uuid.UUID) -> None:
    if await session.get(Organisation, organisation_id) is None:
        raise not_found("organisation", organisation_id)
    if await session.get(Coordinator, (account_id, organisation_id)) is None:
        session.add(Coordinator(account_id=account_id, organisation_id=organisation_id))


async def register_client(session: AsyncSession, principal: Principal, organisation_id: uuid.UUID, **data: object) -> ClientRecord:
    """A coordinator records a client of their organisation (the portal account itself is made in the
    gateway, which emails the credentials: PT-1)."""
    if await session.get(Coordinator, (principal.account_id, organisation_id)) is None:
        raise forbidden("you coordinate for another organisation")
    if await session.get(ClientRecord, data["id"]) is not None:
        raise conflict("client-exists", "this client is already registered")
    record = ClientRecord(organisation_id=organisation_id, **data)
    session.add(record)
    await session.flush()
    return record


# -- reports (PT-2) ---------------------------------------------------------------------------------------------
async def reports(session: AsyncSession, client: ClientRecord) -> list[Report]:
    query = select(Report).where(Report.client_id == client.id).order_by(Report.created_at.desc(), Report.id)
    return list((await session.execute(query)).scalars())


async def write_report(session: AsyncSession, principal: Principal, client: ClientRecord, text: str) -> Report:
    text = text.strip()
    if not text:
        raise invalid("a report has text")
    if len(text) > rules.REPORT_MAX_LENGTH:
        raise invalid(f"a report has at most {rules.REPORT_MAX_LENGTH} characters (this one has {len(text)})")
    report = Report(client_id=client.id, author_id=principal.account_id, author_name=principal.claims.get("name", ""),
                    author_role=_role(principal), text=text)
    session.add(report)
    await session.flush()
    return report


# -- support plans (PT-3) -----------------------------------------------------------------------------------------
async def publish_plan(session: AsyncSession, principal: Principal, client: ClientRecord, title: str, pdf: bytes) -> SupportPlan:
    if not principal.has("care_coordinator"):
        raise forbidden("only a care coordinator publishes a support plan")
    if not rules.is_pdf(pdf):
        raise Problem(415, "not-a-pdf", "a support plan is a PDF file")
    if len(pdf) > rules.PLAN_MAX_BYTES:
        raise Problem(413, "file-too-large", f"a support plan is at most {rules.PLAN_MAX_BYTES // (1024 * 1024)} MB")
    latest = (await session.execute(select(func.max(SupportPlan.version)).where(SupportPlan.client_id == client.id))).scalar()
    plan = SupportPlan(client_id=client.id, version=(latest or 0) + 1, title=title, pdf=pdf, size=len(pdf),
                       published_by=principal.account_id)
    session.add(plan)
    await session.flush()
    return plan


async def plans(session: AsyncSession, client: ClientRecord) -> list[SupportPlan]:
    query = select(SupportPlan).where(SupportPlan.client_id == client.id).order_by(SupportPlan.version.desc())
    return list((await session.execute(query)).scalars())


async def plan_of(session: AsyncSession, client: ClientRecord, plan_id: uuid.UUID) -> SupportPlan:
    plan = await session.get(SupportPlan, plan_id)
    if plan is None or plan.client_id != client.id:
        raise not_found("support plan", plan_id)
    return plan


async def approve_plan(session: AsyncSession, principal: Principal, client: ClientRecord, plan_id: uuid.UUID) -> SupportPlan:
    if not (principal.has("client") or principal.has("representative")):
        raise forbidden("the client or their representative approves a support plan")
    plan = await plan_of(session, client, plan_id)
    if plan.approved_at is not None:
        raise conflict("plan-approved", "this version is approved already")
    plan.approved_by, plan.approved_at = principal.account_id, datetime.now(UTC)
    return plan


# -- appointments (PT-5) and measurements (PT-6) ---------------------------------------------------------------------
async def appointments_on(session: AsyncSession, client: ClientRecord, now: datetime, days_ahead: int) -> list[Appointment]:
    organisation = await session.get(Organisation, client.organisation_id)
    start, end = rules.day_window(now, organisation.time_zone if organisation else "Europe/Amsterdam", days_ahead)
    query = select(Appointment).where(Appointment.client_id == client.id, Appointment.starts_at >= start,
                                      Appointment.starts_at < end, Appointment.cancelled.is_(False)).order_by(Appointment.starts_at)
    return list((await session.execute(query)).scalars())


async def add_appointment(session: AsyncSession, client: ClientRecord, title: str, starts_at: datetime, ends_at: datetime) -> Appointment:
    if starts_at.tzinfo is None or ends_at <= starts_at:
        raise invalid("an appointment has a start with a UTC offset and ends after it starts")
    appointment = Appointment(client_id=client.id, title=title, starts_at=starts_at, ends_at=ends_at, source="own")
    session.add(appointment)
    await session.flush()
    return appointment


async def record_measurement(session: AsyncSession, principal: Principal, client: ClientRecord, code: str, value: float,
                             measured_at: datetime | None) -> Measurement:
    try:
        rules.check_measurement(code, value)
    except rules.RuleError as exc:
        raise invalid(str(exc)) from exc
    measurement = Measurement(client_id=client.id, type_code=code, value=value,
                              measured_at=measured_at or datetime.now(UTC), recorded_by=principal.account_id)
    session.add(measurement)
    await session.flush()
    return measurement


async def measurements(session: AsyncSession, client: ClientRecord, code: str | None) -> list[Measurement]:
    query = select(Measurement).where(Measurement.client_id == client.id).order_by(Measurement.measured_at)
    if code:
        query = query.where(Measurement.type_code == code)
    return list((await session.execute(query)).scalars())


# -- from booking's events -------------------------------------------------------------------------------------------
async def booked(session: AsyncSession, booking_id: uuid.UUID, client_id: uuid.UUID, starts_at: datetime, ends_at: datetime) -> None:
    """A confirmed booking of a portal client becomes one of their appointments (others are ignored)."""
    if await session.get(ClientRecord, client_id) is None:
        return
    exists = (await session.execute(select(Appointment.id).where(Appointment.booking_id == booking_id))).first()
    if not exists:
        session.add(Appointment(client_id=client_id, title="Session", starts_at=starts_at, ends_at=ends_at,
                                source="booking", booking_id=booking_id))


async def booking_cancelled(session: AsyncSession, booking_id: uuid.UUID) -> None:
    appointment = (await session.execute(select(Appointment).where(Appointment.booking_id == booking_id))).scalar_one_or_none()
    if appointment is not None:
        appointment.cancelled = True
