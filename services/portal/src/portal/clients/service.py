"""Portal use cases. Every access to a client's data goes through ``reach`` (PT-7), decided from the portal's
copy of the gateway's directory (kit.directory), never from a token alone: a client reaches only themself, a
representative only the client chosen in their session (the token's ``act``) and only while they hold
"representative" in that client's organisation, a coordinator only the clients of organisations they
coordinate; a record belongs to the care organisation where its client holds "client".

Authorisation comes before existence: an id of another organisation's client and an id nobody has get the
same 404, so ids cannot be probed. Every read and write of a client's data is a row of kit.audit's chained
``audit_trail`` in the request's transaction; every refusal one in a transaction of its own (``write_denial``),
since the request's is rolled back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit import audit
from kit.auth import Principal
from kit.db import Database
from kit.directory import Directory, memberships, organisations
from kit.directory import Organisation as DirectoryOrganisation
from kit.problems import Problem, conflict, forbidden, invalid, not_found
from portal.clients import rules
from portal.models import Appointment, ClientRecord, Measurement, Report, SupportPlan

directory = Directory()
CARE_ORGANISATION = "care_organisation"
DEFAULT_TIME_ZONE = "Europe/Amsterdam"


@dataclass(frozen=True)
class Reach:
    """A client's record as the caller reached it: as whom (rules.relation) and in which organisation."""

    client: ClientRecord
    relation: str
    organisation: DirectoryOrganisation | None

    @property
    def time_zone(self) -> str:
        return self.organisation.time_zone if self.organisation else DEFAULT_TIME_ZONE


async def _roles_in(session: AsyncSession, account_id: uuid.UUID, organisation_id: uuid.UUID) -> set[str]:
    return {role for org, role in await directory.memberships(session, account_id) if org == organisation_id}


async def reach(session: AsyncSession, db: Database, principal: Principal, client_id: uuid.UUID, action: str, *,
                write: bool = False) -> Reach:
    """The client's record if the caller may reach it, else the same 404 whether it exists or not (the
    refusal audited with its real reason). Admins read every record but write none."""
    client = await session.get(ClientRecord, client_id)
    organisation = await directory.organisation(session, client.organisation_id) if client is not None else None
    relation, reason = None, None
    if client is not None and not principal.has("admin") and (
            organisation is None or not organisation.active or organisation.kind != CARE_ORGANISATION):
        reason = "the client's organisation is not an active care organisation of the directory"
    elif client is not None:
        relation = rules.relation(
            account_id=principal.account_id, acting_for=principal.acting_for, admin=principal.has("admin"),
            client_id=client.id, held=await _roles_in(session, principal.account_id, client.organisation_id),
            client_is_member="client" in await _roles_in(session, client.id, client.organisation_id))
    if relation is None:
        await audit.write_denial(db, actor=principal.account_id, subject=client_id, action=action,
                                 reason=reason or rules.refusal_reason(exists=client is not None,
                                                                       acting_for=principal.acting_for,
                                                                       client_id=client_id))
        raise not_found("client", client_id)
    assert client is not None
    if write and relation == rules.ADMIN:
        await audit.write_denial(db, actor=principal.account_id, subject=client_id, action=action,
                                 organisation=str(client.organisation_id), reason="an admin reads, does not write")
        raise forbidden("an admin reads the portal's records; the client, their representative or coordinator writes them")
    return Reach(client, relation, organisation)


async def record(session: AsyncSession, principal: Principal, reached: Reach, action: str,
                 targets: list[str | None] | None = None) -> None:
    """The audit rows of one read or write of the client's data (one per item shown, when ``targets`` lists them)."""
    entries = [(reached.client.id, target) for target in (targets or [None])]
    await audit.write_many(session, actor=principal.account_id, action=action, entries=entries,
                           organisation=str(reached.client.organisation_id))


async def _client_memberships(session: AsyncSession, ids: list[uuid.UUID]) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """(account, organisation) of every "client" membership of these accounts, in one query."""
    if not ids:
        return set()
    rows = await session.execute(select(memberships.c.account_id, memberships.c.organisation_id).where(
        memberships.c.account_id.in_(ids), memberships.c.role == "client"))
    return {(account, org) for account, org in rows}


async def _active_care_organisations(session: AsyncSession, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    if not ids:
        return set()
    rows = await session.execute(select(organisations.c.id).where(
        organisations.c.id.in_(ids), organisations.c.kind == CARE_ORGANISATION, organisations.c.active.is_(True)))
    return {org for (org,) in rows}


def _crossing(detail: str, organisation_id: uuid.UUID) -> Problem:
    """A 403 for a write or list that crosses into another organisation, naming it."""
    return Problem(403, "other-organisation", detail, organisation_id=str(organisation_id))


def _name(organisation: DirectoryOrganisation | None, organisation_id: uuid.UUID) -> str:
    return f"{organisation.name} ({organisation_id})" if organisation else f"organisation {organisation_id}"


# -- client records (PT-1, PT-4) ---------------------------------------------------------------------------------
async def coordinated(session: AsyncSession, principal: Principal) -> list[DirectoryOrganisation]:
    """The care organisations the caller coordinates (from the directory)."""
    return await directory.organisations(session, principal.account_id, role="care_coordinator", kind=CARE_ORGANISATION)


async def register_client(session: AsyncSession, db: Database, principal: Principal, organisation_id: uuid.UUID | None,
                          **data: object) -> ClientRecord:
    """A coordinator records a client of their organisation: an account that holds "client" there in the
    gateway's directory (the account and its membership are made in the gateway, which emails the credentials:
    PT-1). Another organisation is a 403 that names it."""
    mine = await coordinated(session, principal)
    if organisation_id is None:
        if len(mine) != 1:
            raise invalid("name the organisation (organisation_id): you coordinate for "
                          f"{', '.join(_name(o, o.id) for o in mine) or 'no organisation'}")
        organisation_id = mine[0].id
    client_id = data["id"]
    assert isinstance(client_id, uuid.UUID)
    if organisation_id not in {o.id for o in mine}:
        named = _name(await directory.organisation(session, organisation_id), organisation_id)
        await audit.write_denial(db, actor=principal.account_id, subject=client_id, action="register client",
                                 organisation=str(organisation_id), reason="not a coordinator of the organisation")
        raise _crossing(f"you are not a care coordinator of {named}", organisation_id)
    organisation = next(o for o in mine if o.id == organisation_id)
    if "client" not in await _roles_in(session, client_id, organisation_id):
        raise _crossing(f"account {client_id} is not a client of {_name(organisation, organisation_id)}: give it the "
                        "client role there in the gateway's directory first", organisation_id)
    if await session.get(ClientRecord, client_id) is not None:
        raise conflict("client-exists", "this client is already registered")
    record_ = ClientRecord(organisation_id=organisation_id, **data)
    session.add(record_)
    await session.flush()
    await audit.write(session, actor=principal.account_id, subject=record_.id, action="register client",
                      organisation=str(organisation_id))
    return record_


async def clients(session: AsyncSession, principal: Principal, organisation_id: uuid.UUID | None) -> list[ClientRecord]:
    """The clients the caller reaches: a coordinator's organisations' clients, a client themself, a
    representative the client of the session, an admin everyone (``organisation_id`` narrows it; naming an
    organisation the caller has no part in is a 403 that names it). Every client listed is audited."""
    query = select(ClientRecord).order_by(ClientRecord.display_name, ClientRecord.id)
    if organisation_id is not None:
        query = query.where(ClientRecord.organisation_id == organisation_id)
    if not principal.has("admin"):
        held = await directory.memberships(session, principal.account_id)
        coordinated_ids = {org for org, role in held if role == "care_coordinator"}
        if organisation_id is not None and organisation_id not in {org for org, _ in held}:
            named = _name(await directory.organisation(session, organisation_id), organisation_id)
            raise _crossing(f"you have no part in {named}", organisation_id)
        conditions = [ClientRecord.id == (principal.acting_for or principal.account_id)]
        if principal.acting_for is None and coordinated_ids:
            conditions.append(ClientRecord.organisation_id.in_(coordinated_ids))
        candidates = list((await session.execute(query.where(or_(*conditions)))).scalars())
        members = await _client_memberships(session, [c.id for c in candidates])
        active = await _active_care_organisations(session, {c.organisation_id for c in candidates})
        found = [c for c in candidates if c.organisation_id in active and rules.relation(
            account_id=principal.account_id, acting_for=principal.acting_for, admin=False, client_id=c.id,
            held={role for org, role in held if org == c.organisation_id},
            client_is_member=(c.id, c.organisation_id) in members)]
    else:
        found = list((await session.execute(query)).scalars())
    for organisation in sorted({c.organisation_id for c in found}):
        await audit.write_many(session, actor=principal.account_id, action="list clients", organisation=str(organisation),
                               entries=[(c.id, None) for c in found if c.organisation_id == organisation])
    return found


# -- the profile (PT-4) and reports (PT-2) --------------------------------------------------------------------
async def profile(session: AsyncSession, principal: Principal, reached: Reach) -> ClientRecord:
    await record(session, principal, reached, "read profile", [str(reached.client.id)])
    return reached.client


async def reports(session: AsyncSession, principal: Principal, reached: Reach) -> list[Report]:
    query = select(Report).where(Report.client_id == reached.client.id).order_by(Report.created_at.desc(), Report.id)
    found = list((await session.execute(query)).scalars())
    await record(session, principal, reached, "read reports", [str(r.id) for r in found])
    return found


async def write_report(session: AsyncSession, principal: Principal, reached: Reach, text: str) -> Report:
    text = text.strip()
    if not text:
        raise invalid("a report has text")
    if len(text) > rules.REPORT_MAX_LENGTH:
        raise invalid(f"a report has at most {rules.REPORT_MAX_LENGTH} characters (this one has {len(text)})")
    report = Report(client_id=reached.client.id, author_id=principal.account_id,
                    author_name=_author_name(principal, reached), author_role=reached.relation, text=text)
    session.add(report)
    await session.flush()
    await record(session, principal, reached, "write report", [str(report.id)])
    return report


def _author_name(principal: Principal, reached: Reach) -> str:
    """The name the token carries (the gateway's display name); without one, the client's own name from the record."""
    return principal.claims.get("name") or (reached.client.display_name if reached.relation == rules.CLIENT else "")


# -- support plans (PT-3) -----------------------------------------------------------------------------------------
async def publish_plan(session: AsyncSession, principal: Principal, reached: Reach, title: str, pdf: bytes) -> SupportPlan:
    if reached.relation != rules.COORDINATOR:
        raise forbidden("only a care coordinator of the client's organisation publishes a support plan")
    if not rules.is_pdf(pdf):
        raise Problem(415, "not-a-pdf", "a support plan is a PDF file")
    if len(pdf) > rules.PLAN_MAX_BYTES:
        raise Problem(413, "file-too-large", f"a support plan is at most {rules.PLAN_MAX_BYTES // (1024 * 1024)} MB")
    plan = await add_plan(session, reached.client.id, title, pdf, principal.account_id)
    await record(session, principal, reached, "publish plan", [str(plan.id)])
    return plan


async def add_plan(session: AsyncSession, client_id: uuid.UUID, title: str, pdf: bytes, by: uuid.UUID) -> SupportPlan:
    latest = (await session.execute(select(func.max(SupportPlan.version)).where(SupportPlan.client_id == client_id))).scalar()
    plan = SupportPlan(client_id=client_id, version=(latest or 0) + 1, title=title, pdf=pdf, size=len(pdf), published_by=by)
    session.add(plan)
    await session.flush()
    return plan


async def plans(session: AsyncSession, principal: Principal, reached: Reach) -> list[SupportPlan]:
    query = select(SupportPlan).where(SupportPlan.client_id == reached.client.id).order_by(SupportPlan.version.desc())
    found = list((await session.execute(query)).scalars())
    await record(session, principal, reached, "list plans", [str(p.id) for p in found])
    return found


async def _plan_of(session: AsyncSession, reached: Reach, plan_id: uuid.UUID) -> SupportPlan:
    plan = await session.get(SupportPlan, plan_id)
    if plan is None or plan.client_id != reached.client.id:
        raise not_found("support plan", plan_id)
    return plan


async def download_plan(session: AsyncSession, principal: Principal, reached: Reach, plan_id: uuid.UUID) -> SupportPlan:
    plan = await _plan_of(session, reached, plan_id)
    await record(session, principal, reached, "download plan", [str(plan.id)])
    return plan


async def approve_plan(session: AsyncSession, principal: Principal, reached: Reach, plan_id: uuid.UUID) -> SupportPlan:
    if reached.relation not in (rules.CLIENT, rules.REPRESENTATIVE):
        raise forbidden("the client or their representative approves a support plan")
    plan = await _plan_of(session, reached, plan_id)
    if plan.approved_at is not None:
        raise conflict("plan-approved", "this version is approved already")
    plan.approved_by, plan.approved_at = principal.account_id, datetime.now(UTC)
    await record(session, principal, reached, "approve plan", [str(plan.id)])
    return plan


# -- appointments (PT-5) and measurements (PT-6) ---------------------------------------------------------------------
async def appointments(session: AsyncSession, principal: Principal, reached: Reach,
                       now: datetime) -> tuple[list[Appointment], list[Appointment]]:
    """Today's and tomorrow's appointments in the organisation's time zone."""
    days = []
    for ahead in (0, 1):
        start, end = rules.day_window(now, reached.time_zone, ahead)
        query = select(Appointment).where(Appointment.client_id == reached.client.id, Appointment.starts_at >= start,
                                          Appointment.starts_at < end, Appointment.cancelled.is_(False)
                                          ).order_by(Appointment.starts_at)
        days.append(list((await session.execute(query)).scalars()))
    await record(session, principal, reached, "read appointments", [str(a.id) for a in days[0] + days[1]])
    return days[0], days[1]


async def add_appointment(session: AsyncSession, principal: Principal, reached: Reach, title: str, starts_at: datetime,
                          ends_at: datetime) -> Appointment:
    if starts_at.tzinfo is None or ends_at <= starts_at:
        raise invalid("an appointment has a start with a UTC offset and ends after it starts")
    appointment = Appointment(client_id=reached.client.id, title=title, starts_at=starts_at, ends_at=ends_at, source="own")
    session.add(appointment)
    await session.flush()
    await record(session, principal, reached, "add appointment", [str(appointment.id)])
    return appointment


async def record_measurement(session: AsyncSession, principal: Principal, reached: Reach, code: str, value: float,
                             measured_at: datetime | None) -> Measurement:
    try:
        rules.check_measurement(code, value)
    except rules.RuleError as exc:
        raise invalid(str(exc)) from exc
    measurement = Measurement(client_id=reached.client.id, type_code=code, value=value,
                              measured_at=measured_at or datetime.now(UTC), recorded_by=principal.account_id)
    session.add(measurement)
    await session.flush()
    await record(session, principal, reached, "record measurement", [str(measurement.id)])
    return measurement


async def measurements(session: AsyncSession, principal: Principal, reached: Reach, code: str | None) -> list[Measurement]:
    query = select(Measurement).where(Measurement.client_id == reached.client.id).order_by(Measurement.measured_at)
    if code:
        query = query.where(Measurement.type_code == code)
    found = list((await session.execute(query)).scalars())
    await record(session, principal, reached, "read measurements", [f"{code or 'all'}: {len(found)} measurements"])
    return found


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
