"""Appointment-book use cases (GR-1..GR-8). Every change a patient should hear about publishes
GroupAppointmentChanged; notify sends each patient one notice five minutes after the last change."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from booking.appointments import rules
from booking.appointments.access import Practice
from booking.appointments.models import (
    Appointment,
    AppointmentPatient,
    AppointmentType,
    TemplateEntry,
    WeekTemplate,
)
from booking.appointments.schemas import AppointmentChange, AppointmentIn, ClosingPatient, TemplateIn, TypeIn
from booking.calendar.models import Slot
from booking.clients.models import ClientOf, Person
from booking.journal import service as journal
from booking.journal.models import JournalNote
from contracts.booking.v1 import BillingCardLine, GroupAppointmentChanged, GroupSessionClosed
from contracts.money import Money
from kit import audit, outbox
from kit.crypto import KeyRing
from kit.db import contains, flush_guarded, one_or_404
from kit.problems import Problem, conflict, invalid, not_found

OVERLAP = "appointments_do_not_overlap"
FULL = "appointment_seats"


# --- appointment types (GR-1) ---------------------------------------------------------------------

def _check_tariffs(body: TypeIn, tariffs: dict[str, dict[str, int]]) -> None:
    try:
        rules.known_tariffs(body.tariff_codes, tariffs)
    except rules.AppointmentRuleError as exc:
        raise invalid(str(exc)) from exc


async def create_type(session: AsyncSession, me: Practice, body: TypeIn, tariffs: dict[str, dict[str, int]]) -> AppointmentType:
    _check_tariffs(body, tariffs)
    kind = AppointmentType(id=uuid.uuid4(), practitioner_id=me.id, organisation_id=me.clinic(), **body.model_dump())
    session.add(kind)
    await session.flush()
    return kind


async def own_type(session: AsyncSession, me: Practice, type_id: uuid.UUID) -> AppointmentType:
    kind = await session.get(AppointmentType, type_id)
    if kind is None or not me.sees(kind.organisation_id, kind.practitioner_id):
        raise not_found("appointment type", type_id)
    return kind


async def update_type(session: AsyncSession, me: Practice, type_id: uuid.UUID, body: TypeIn,
                      tariffs: dict[str, dict[str, int]]) -> AppointmentType:
    _check_tariffs(body, tariffs)
    kind = await own_type(session, me, type_id)
    for field, value in body.model_dump().items():
        setattr(kind, field, value)
    return kind  # appointments keep their own seats and times; the type applies to new ones


async def list_types(session: AsyncSession, me: Practice) -> list[AppointmentType]:
    query = select(AppointmentType).where(me.scope(AppointmentType)).order_by(AppointmentType.name)
    return list((await session.execute(query)).scalars())


# --- week templates (GR-2) ------------------------------------------------------------------------

async def create_template(session: AsyncSession, me: Practice, body: TemplateIn) -> tuple[WeekTemplate, list[TemplateEntry]]:
    clinic = me.clinic()
    for type_id in {e.type_id for e in body.entries}:
        kind = await own_type(session, me, type_id)
        if kind.organisation_id not in (None, clinic):
            raise invalid(f"appointment type {type_id} belongs to another clinic")
    template = WeekTemplate(id=uuid.uuid4(), practitioner_id=me.id, organisation_id=clinic, name=body.name,
                            time_zone=body.time_zone)
    entries = [TemplateEntry(id=uuid.uuid4(), template_id=template.id, weekday=e.weekday, starts=e.starts, type_id=e.type_id)
               for e in body.entries]
    session.add(template)
    await session.flush()
    session.add_all(entries)
    await session.flush()
    return template, entries


async def template_with_entries(session: AsyncSession, me: Practice, template_id: uuid.UUID) -> tuple[WeekTemplate, list[TemplateEntry]]:
    template = await session.get(WeekTemplate, template_id)
    if template is None or not me.sees(template.organisation_id, template.practitioner_id):
        raise not_found("week template", template_id)
    entries = (await session.execute(select(TemplateEntry).where(TemplateEntry.template_id == template_id))).scalars().all()
    return template, list(entries)


async def generate(session: AsyncSession, me: Practice, template_id: uuid.UUID, first: date, last: date) -> tuple[int, int]:
    """Create the template's appointments for a period. Never on top of an existing slot or appointment,
    and idempotent: an occurrence generated before (even if cancelled since) is not created again."""
    template, entries = await template_with_entries(session, me, template_id)
    types = {t.id: t for t in await list_types(session, me)}
    placements = [rules.Placement(str(e.id), e.weekday, e.starts, types[e.type_id].length_minutes) for e in entries]
    type_of = {str(e.id): types[e.type_id] for e in entries}
    try:
        found = rules.occurrences(placements, first, last, ZoneInfo(template.time_zone))
    except rules.AppointmentRuleError as exc:
        raise invalid(str(exc)) from exc
    if not found:
        return 0, 0
    slots = (await session.execute(select(Slot.starts_at, Slot.ends_at).where(
        Slot.therapist_id == me.id, Slot.ends_at > found[0].starts_at, Slot.starts_at < found[-1].ends_at))).all()
    free = [o for o in found if not any(s.starts_at < o.ends_at and o.starts_at < s.ends_at for s in slots)]
    rows = [{"id": uuid.uuid4(), "practitioner_id": me.id, "organisation_id": template.organisation_id,
             "type_id": type_of[o.key.split(":")[0]].id,
             "starts_at": o.starts_at, "ends_at": o.ends_at, "time_zone": template.time_zone,
             "seats": type_of[o.key.split(":")[0]].seats, "status": "scheduled", "generated_from": o.key} for o in free]
    created = 0
    for start in range(0, len(rows), 500):
        # DO NOTHING also yields to the exclusion constraint: an overlapping occurrence is skipped
        result = await session.execute(insert(Appointment).values(rows[start:start + 500]).on_conflict_do_nothing()
                                       .returning(Appointment.id))
        created += len(result.all())
    return created, len(found) - created


# --- appointments (GR-3..GR-5) --------------------------------------------------------------------

async def own_appointment(session: AsyncSession, me: Practice, appointment_id: uuid.UUID, *,
                          lock: bool = False) -> Appointment:
    return await one_or_404(session, Appointment, appointment_id, "appointment", lock=lock,
                            visible=lambda appointment: me.sees(appointment.organisation_id, appointment.practitioner_id))


def _must_be_scheduled(appointment: Appointment) -> None:
    if appointment.status != "scheduled":
        raise conflict(f"appointment-{appointment.status}", f"the appointment is {appointment.status}")


async def _flush(session: AsyncSession, statement: object = None, *, seats: int | None = None) -> None:
    """Flush (and execute ``statement``), turning the database's guards into clear problems."""
    full = f"the appointment has {seats} seats and they are taken" if seats else "the appointment has no free seat left"
    await flush_guarded(session, {OVERLAP: conflict("appointment-overlaps", "the time overlaps another of your appointments"),
                                  FULL: conflict("appointment-full", full)}, statement)


async def booked_patients(session: AsyncSession, appointment_id: uuid.UUID) -> list[AppointmentPatient]:
    query = select(AppointmentPatient).where(AppointmentPatient.appointment_id == appointment_id,
                                             AppointmentPatient.status == "booked").order_by(AppointmentPatient.added_at)
    return list((await session.execute(query)).scalars())


async def announce(session: AsyncSession, appointment: Appointment, *, removed: list[uuid.UUID] = (),
                   patients: list[uuid.UUID] | None = None) -> None:
    kind = await session.get(AppointmentType, appointment.type_id)
    if patients is None:
        patients = [p.patient_id for p in await booked_patients(session, appointment.id)]
    if not patients and not removed:
        return
    await outbox.add(session, GroupAppointmentChanged(
        appointment_id=appointment.id, practitioner_id=appointment.practitioner_id, patient_ids=patients,
        appointment_type=kind.name, starts_at=appointment.starts_at, ends_at=appointment.ends_at,
        notifications=kind.notifications, cancelled=appointment.status == "cancelled", time_zone=appointment.time_zone,
        removed_patient_ids=list(removed)))


async def create_appointment(session: AsyncSession, me: Practice, body: AppointmentIn) -> Appointment:
    kind = await own_type(session, me, body.type_id)
    seats = body.seats or kind.seats
    try:
        rules.check_seats(seats, kind.kind, len(set(body.patient_ids)))
    except rules.AppointmentRuleError as exc:
        raise invalid(str(exc)) from exc
    length = timedelta(minutes=body.length_minutes or kind.length_minutes)
    appointment = Appointment(id=uuid.uuid4(), practitioner_id=me.id, organisation_id=kind.organisation_id,
                              type_id=kind.id, starts_at=body.starts_at,
                              ends_at=body.starts_at + length, time_zone=body.time_zone, seats=seats, note=body.note,
                              status="scheduled", created_at=datetime.now(UTC))
    session.add(appointment)
    await _flush(session)
    if body.patient_ids:
        await add_patients(session, me, appointment.id, body.patient_ids)
    return appointment


async def add_patients(session: AsyncSession, me: Practice, appointment_id: uuid.UUID,
                       patient_ids: list[uuid.UUID]) -> Appointment:
    """GR-3: patients found by search, up to the seats (the database refuses the one too many)."""
    appointment = await own_appointment(session, me, appointment_id)
    _must_be_scheduled(appointment)
    ids = list(dict.fromkeys(patient_ids))
    known = set((await session.execute(select(ClientOf.client_id).where(
        ClientOf.therapist_id == me.id, ClientOf.client_id.in_(ids)))).scalars())
    strangers = [str(i) for i in ids if i not in known]
    if strangers:
        raise invalid(f"not your patients: {', '.join(strangers)}", patients=strangers)
    statement = insert(AppointmentPatient).values([{"appointment_id": appointment.id, "patient_id": i, "status": "booked"}
                                                   for i in ids])
    statement = statement.on_conflict_do_update(
        index_elements=["appointment_id", "patient_id"], set_={"status": "booked", "added_at": func.now()},
        where=AppointmentPatient.status == "cancelled")
    await _flush(session, statement, seats=appointment.seats)
    await announce(session, appointment)
    return appointment


async def change_appointment(session: AsyncSession, me: Practice, appointment_id: uuid.UUID,
                             body: AppointmentChange) -> Appointment:
    """GR-4: type, seats (never below the booked patients), time (move), length (extend), note."""
    appointment = await own_appointment(session, me, appointment_id, lock=True)
    _must_be_scheduled(appointment)
    kind = await own_type(session, me, body.type_id) if body.type_id else await session.get(AppointmentType, appointment.type_id)
    if kind.organisation_id != appointment.organisation_id:
        raise invalid(f"appointment type {kind.id} belongs to another clinic")
    seats = body.seats if body.seats is not None else (kind.seats if body.type_id else appointment.seats)
    booked = len(await booked_patients(session, appointment.id))
    try:
        rules.check_seats(seats, kind.kind, booked)
    except rules.AppointmentRuleError as exc:
        raise invalid(str(exc), booked=booked) from exc
    length = timedelta(minutes=body.length_minutes) if body.length_minutes else appointment.ends_at - appointment.starts_at
    appointment.type_id, appointment.seats = kind.id, seats
    appointment.starts_at = body.starts_at or appointment.starts_at
    appointment.ends_at = appointment.starts_at + length
    if body.note is not None:
        appointment.note = body.note
    await _flush(session)
    await announce(session, appointment)
    return appointment


async def copy_appointment(session: AsyncSession, me: Practice, appointment_id: uuid.UUID,
                           starts_at: datetime) -> Appointment:
    """GR-4: the same appointment at another time, with its patients."""
    source = await own_appointment(session, me, appointment_id)
    patients = [p.patient_id for p in await booked_patients(session, source.id)]
    copy = Appointment(id=uuid.uuid4(), practitioner_id=me.id, organisation_id=source.organisation_id,
                       type_id=source.type_id, starts_at=starts_at,
                       ends_at=starts_at + (source.ends_at - source.starts_at), time_zone=source.time_zone, seats=source.seats,
                       note=source.note, status="scheduled", created_at=datetime.now(UTC))
    session.add(copy)
    await _flush(session)
    if patients:
        await add_patients(session, me, copy.id, patients)
    return copy


async def delete_appointment(session: AsyncSession, me: Practice, appointment_id: uuid.UUID,
                             now: datetime | None = None) -> None:
    """GR-5: only within five minutes of creating it, and only while scheduled (a closed one has notes in
    journals and billing cards that name it); afterwards it is cancelled instead."""
    appointment = await own_appointment(session, me, appointment_id, lock=True)
    _must_be_scheduled(appointment)
    if not rules.may_delete(appointment.created_at, now or datetime.now(UTC)):
        raise conflict("delete-window-passed", "an appointment can be deleted only within five minutes of creating it; "
                                               "cancel it instead")
    patients = [p.patient_id for p in await booked_patients(session, appointment.id)]
    await announce(session, appointment, removed=patients, patients=[])
    await session.delete(appointment)


async def cancel_appointment(session: AsyncSession, me: Practice, appointment_id: uuid.UUID) -> Appointment:
    """GR-8 on the practitioner's behalf: everyone is notified and nothing is billed."""
    appointment = await own_appointment(session, me, appointment_id, lock=True)
    _must_be_scheduled(appointment)
    appointment.status = "cancelled"
    await session.flush()
    await announce(session, appointment)
    return appointment


async def _patient_on(session: AsyncSession, appointment: Appointment, patient_id: uuid.UUID) -> AppointmentPatient:
    row = await session.get(AppointmentPatient, (appointment.id, patient_id), with_for_update=True)
    if row is None or row.status != "booked":
        raise Problem(404, "not-on-appointment", f"patient {patient_id} is not on this appointment")
    return row


async def cancel_for_patient(session: AsyncSession, me: Practice, appointment_id: uuid.UUID,
                             patient_id: uuid.UUID) -> Appointment:
    """GR-8 on a patient's behalf: the seat is free again and that patient is told."""
    appointment = await own_appointment(session, me, appointment_id, lock=True)
    _must_be_scheduled(appointment)
    row = await _patient_on(session, appointment, patient_id)
    row.status = "cancelled"
    await session.flush()
    await announce(session, appointment, removed=[patient_id])
    return appointment


async def check(session: AsyncSession, me: Practice, appointment_id: uuid.UUID, patient_id: uuid.UUID,
                direction: str) -> AppointmentPatient:
    """GR-6: check a patient in or out during the session."""
    appointment = await own_appointment(session, me, appointment_id)
    _must_be_scheduled(appointment)
    row = await _patient_on(session, appointment, patient_id)
    now = datetime.now(UTC)
    if direction == "in":
        row.checked_in_at, row.checked_out_at = now, None
    else:
        if row.checked_in_at is None:
            raise conflict("not-checked-in", f"patient {patient_id} was not checked in")
        row.checked_out_at = now
    return row


# --- closing (GR-7) -------------------------------------------------------------------------------

async def close(session: AsyncSession, ring: KeyRing, tariffs: dict[str, dict[str, int]], me: Practice,
                appointment_id: uuid.UUID, note: str, changes: list[ClosingPatient]) -> Appointment:
    """The shared note goes into every attending patient's journal as an administrative note (with the
    HELFO problem code, by default the one in the patient's last note); every patient is attended and
    billed unless unticked; billing opens a "pay later" card per billed patient. Closing twice: 409."""
    appointment = await own_appointment(session, me, appointment_id, lock=True)
    if appointment.status == "closed":
        raise conflict("appointment-closed", "the appointment is closed already; edit the notes from the journal")
    _must_be_scheduled(appointment)
    if appointment.starts_at > datetime.now(UTC):
        raise conflict("appointment-not-started", "an appointment is closed once it has started")
    kind = await session.get(AppointmentType, appointment.type_id)
    patients = await booked_patients(session, appointment.id)
    by_id = {c.patient_id: c for c in changes}
    strangers = [str(i) for i in by_id if i not in {p.patient_id for p in patients}]
    if strangers:
        raise Problem(404, "not-on-appointment", f"not on this appointment: {', '.join(strangers)}", patients=strangers)
    choices = {row.patient_id: by_id.get(row.patient_id) or ClosingPatient(patient_id=row.patient_id) for row in patients}
    for row in patients:
        choice = choices[row.patient_id]
        row.attended, row.billed = choice.attended, choice.attended and choice.bill
        row.guarantee_code = choice.guarantee_code
    attending = [row for row in patients if row.attended]
    unknown = [row.patient_id for row in attending if choices[row.patient_id].problem_code is None] if kind.helfo else []
    clinic = str(appointment.organisation_id) if appointment.organisation_id else None  # the audit rows say where
    last = await journal.last_problem_codes(session, ring, me.id, unknown, organisation=clinic)
    written = await journal.add_administrative_notes(session, ring, me.id, {
        row.patient_id: journal.NoteContent(note, choices[row.patient_id].problem_code or last.get(row.patient_id))
        for row in attending}, organisation=clinic)
    cards = []
    for row in attending:
        row.note_id = written[row.patient_id].id
        if row.billed:
            helfo = rules.settle(kind.tariff_codes, tariffs, exempt=row.guarantee_code is not None) if kind.helfo else None
            share = helfo.patient_share_minor if helfo else 0
            cards.append(BillingCardLine(patient_id=row.patient_id, tariff_codes=kind.tariff_codes if kind.helfo else [],
                                         fee=Money(amount_minor=kind.extra_fee_minor + share, currency=kind.currency),
                                         guarantee_code=row.guarantee_code,
                                         helfo_fee_minor=helfo.fee_minor if helfo else None,
                                         patient_share_minor=helfo.patient_share_minor if helfo else None,
                                         helfo_refund_minor=helfo.refund_minor if helfo else None))
    appointment.status, appointment.closed_at = "closed", datetime.now(UTC)
    await outbox.add(session, GroupSessionClosed(appointment_id=appointment.id, practitioner_id=me.id,
                                                 appointment_type=kind.name, starts_at=appointment.starts_at, cards=cards))
    return appointment


async def helfo_claim(session: AsyncSession, ring: KeyRing, tariffs: dict[str, dict[str, int]], me: Practice,
                      appointment_id: uuid.UUID) -> list[dict]:
    """BL-7's HELFO claim lines, ready to send: tariffs, problem code, guarantee code, and the fee split into
    the patient's share and HELFO's refund. The problem code is clinical: it is read from the sealed
    administrative note, and every read is audited."""
    appointment = await own_appointment(session, me, appointment_id)
    kind = await session.get(AppointmentType, appointment.type_id)
    if appointment.status != "closed" or not kind.helfo:
        raise conflict("no-helfo-claim", "HELFO claims come from closed appointments of HELFO types")
    rows = (await session.execute(select(AppointmentPatient, JournalNote).join(
        JournalNote, JournalNote.id == AppointmentPatient.note_id).where(
        AppointmentPatient.appointment_id == appointment.id, AppointmentPatient.billed))).all()
    await audit.write_many(session, actor=me.id, action="read note: helfo claim",
                           organisation=str(appointment.organisation_id) if appointment.organisation_id else None,
                           entries=[(row.patient_id, str(note.id)) for row, note in rows])
    lines = []
    for row, note in rows:
        content = journal.open_note(note, ring)
        split = rules.settle(kind.tariff_codes, tariffs, exempt=row.guarantee_code is not None)
        lines.append({"patient_id": row.patient_id, "tariff_codes": kind.tariff_codes, "problem_code": content.problem_code,
                      "fee_minor": split.fee_minor, "patient_share_minor": split.patient_share_minor, "refund_minor": split.refund_minor,
                      "guarantee_code": row.guarantee_code})
    return lines


# --- reading ----------------------------------------------------------------------------------------

async def describe(session: AsyncSession, appointments: list[Appointment]) -> list[dict]:
    if not appointments:
        return []
    ids = [a.id for a in appointments]
    types = {t.id: t for t in (await session.execute(select(AppointmentType).where(
        AppointmentType.id.in_({a.type_id for a in appointments})))).scalars()}
    rows = (await session.execute(select(AppointmentPatient, Person.display_name).outerjoin(
        Person, Person.account_id == AppointmentPatient.patient_id).where(AppointmentPatient.appointment_id.in_(ids))
        .order_by(AppointmentPatient.added_at))).all()
    patients: dict[uuid.UUID, list[dict]] = {i: [] for i in ids}
    for row, name in rows:
        patients[row.appointment_id].append({"patient_id": row.patient_id, "name": name, "status": row.status,
                                             "checked_in_at": row.checked_in_at, "checked_out_at": row.checked_out_at,
                                             "attended": row.attended, "billed": row.billed})
    return [{"id": a.id, "type_id": a.type_id, "type_name": types[a.type_id].name, "kind": types[a.type_id].kind,
             "starts_at": a.starts_at, "ends_at": a.ends_at, "time_zone": a.time_zone, "seats": a.seats, "note": a.note,
             "status": a.status, "created_at": a.created_at, "patients": patients[a.id],
             "organisation_id": a.organisation_id} for a in appointments]


async def between(session: AsyncSession, me: Practice, start: datetime, end: datetime) -> list[Appointment]:
    if end <= start or end - start > timedelta(days=62):
        raise invalid("ask for a period of at most 62 days, ending after it starts")
    query = select(Appointment).where(me.scope(Appointment), Appointment.starts_at >= start,
                                      Appointment.starts_at < end).order_by(Appointment.starts_at)
    return list((await session.execute(query)).scalars())


async def search_patients(session: AsyncSession, practitioner_id: uuid.UUID, text: str) -> list[tuple[uuid.UUID, str]]:
    """GR-3: the practitioner's patients whose name contains ``text``."""
    pattern = contains(text)
    query = (select(ClientOf.client_id, Person.display_name).join(Person, Person.account_id == ClientOf.client_id)
             .where(and_(ClientOf.therapist_id == practitioner_id, Person.display_name.ilike(pattern)))
             .order_by(Person.display_name).limit(25))
    return [(i, n) for i, n in (await session.execute(query)).all()]
