"""Invented demo data of the marketplace and the clinics (`python -m booking seed`, run by `make run`; idempotent).

Everyone is kit.demo's cast, with its fixed ids, so the gateway's accounts and these records agree:

- demo.therapist and demo.therapist2: authorised therapists with a profile (presentation, fee, reception
  address and door code, time zone), problem-area weights, contact reasons and free slots next week;
  demo.mclient on demo.therapist's list, demo.mclient2 on demo.therapist2's;
- demo.practitioner (Fjordklinikken) and demo.practitioner2 (Nordlys klinikk): authorised, with their clinic's
  appointment types, a week template and a group appointment next week with their patients on it.

Booking decides from its own tables, so the seed writes them (and its copy of the directory for the clinics
and the practitioners' memberships, which the gateway's directory events confirm later) and publishes
through the outbox what other services need: TherapistAuthorised (notify), TherapistPayoutDetailsChanged
(billing pays out to the bank account), GroupAppointmentChanged (the patients' notices).

A paid booking and a cancelled one are made by deploy/demo_activity.py through the gateway, as a client does.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from booking.appointments import service as appointments
from booking.appointments.access import Practice
from booking.appointments.models import Appointment, AppointmentType, WeekTemplate
from booking.appointments.schemas import AppointmentIn, EntryIn, TemplateIn, TypeIn
from booking.calendar import service as calendar
from booking.calendar.models import Slot
from booking.calendar.schemas import SlotIn
from booking.clients.models import ClientOf, Person
from booking.settings import Settings
from booking.therapists import service as therapists
from booking.therapists.models import Therapist
from booking.therapists.schemas import ProfileIn, ReceptionIn
from contracts.booking.v1 import TherapistAuthorised
from kit import demo, outbox
from kit.db import Database
from kit.directory import memberships, organisations


@dataclass(frozen=True)
class DemoTherapist:
    username: str
    licence: str
    title: str
    profile: dict
    address: str
    weights: dict[str, int]
    reasons: list[str]
    clients: list[str]
    slot_hours: tuple[int, ...]
    price_minor: int


THERAPISTS = [
    DemoTherapist(
        "demo.therapist", "PSY-100002", "Legitimerad psykoterapeut",
        {"presentation": "Jag arbetar med KBT vid oro, stress och sömnproblem. Vi börjar med att kartlägga vad som "
                         "håller problemen vid liv och lägger upp en plan tillsammans.",
         "personal_information": "Portkod 4711, andra våningen. Ring på dörren märkt Mottagningen.",
         "fee_minor": 95000, "currency": "SEK", "languages": ["sv", "en"], "time_zone": "Europe/Stockholm",
         "experience": "Tolv år i primärvården och egen mottagning.", "bank_account": "SE4550000000058398257466",
         "first_meeting": "Det första samtalet handlar om vad du vill förändra."},
        "Exempelgatan 1, 411 01 Göteborg",
        {"anxiety": 10, "stress": 9, "sleep": 8, "depression": 6, "work": 5},
        ["feelings", "work.burnout", "life_event.job_loss"], ["demo.mclient"], (9, 14), 95000),
    DemoTherapist(
        "demo.therapist2", "PSY-100001", "Legitimerad psykolog",
        {"presentation": "Samtalsterapi för par och familjer, och stöd i sorg. Jag tar emot på mottagningen eller "
                         "via video.",
         "personal_information": "Portkod 1234. Hissen till plan 3, dörren till vänster.",
         "fee_minor": 110000, "currency": "SEK", "languages": ["sv"], "time_zone": "Europe/Stockholm",
         "experience": "Familjeterapeut sedan 2015.", "bank_account": "50000583982574",
         "first_meeting": "Vi träffas först en gång och bestämmer sedan hur vi går vidare."},
        "Provvägen 12, 211 20 Malmö",
        {"relationships": 10, "grief": 9, "parenting": 8, "trauma": 5},
        ["relations", "life_event.bereavement", "life_event.separation"], ["demo.mclient2"], (10, 15), 110000),
]

#: practitioner → (clinic key, patients): the types, template and group appointment of their clinic
PRACTITIONERS = {
    "demo.practitioner": ("clinic.1", ["demo.patient", "demo.patient2"]),
    "demo.practitioner2": ("clinic.2", ["demo.patient3"]),
}
GROUP = TypeIn(name="Mestringsgruppe", length_minutes=90, kind="group", seats=8, notifications=True, helfo=True,
               tariff_codes=["2ad"])
SINGLE = TypeIn(name="Individuell samtale", length_minutes=45, kind="single", seats=1, helfo=True, tariff_codes=["2ad"])


def next_week(today: date) -> date:
    """Monday of the week after ``today``'s."""
    return today + timedelta(days=7 - today.weekday())


async def _person(session: AsyncSession, username: str) -> None:
    """The name booking shows (the gateway's ContactDetailsChanged keeps it up to date)."""
    person = demo.BY_USERNAME[username]
    await session.execute(insert(Person).values(account_id=person.id, display_name=person.display_name, email=person.email,
                                                phone=person.phone).on_conflict_do_nothing())


async def _authorised(session: AsyncSession, username: str, licence: str, title: str) -> Therapist:
    person = demo.BY_USERNAME[username]
    therapist = await session.get(Therapist, person.id)
    if therapist is None:
        therapist = Therapist(id=person.id, name=person.display_name, email=person.email or f"{username}@example.org",
                              phone=person.phone, licence_number=licence, agreement_version="2026-01", languages=[],
                              status="authorised", title=title, reviewed_at=datetime.now(UTC),
                              review_note="demo data: licence checked against the development register")
        session.add(therapist)
        await session.flush()
        await outbox.add(session, TherapistAuthorised(therapist_id=therapist.id))
    return therapist


async def _slots(session: AsyncSession, therapist: Therapist, spec: DemoTherapist, monday: date) -> int:
    zone = ZoneInfo(therapist.time_zone)
    made = 0
    for day in range(5):
        for hour in spec.slot_hours:
            starts = datetime.combine(monday + timedelta(days=day), time(hour), zone)
            taken = (await session.execute(select(Slot.id).where(Slot.therapist_id == therapist.id,
                                                                 Slot.starts_at == starts))).first()
            if taken or starts <= datetime.now(UTC):
                continue
            await calendar.create_slot(session, therapist.id, SlotIn(
                starts_at=starts, length_minutes=45, price_minor=spec.price_minor, currency="SEK",
                video=day % 2 == 1, on_site=True))
            made += 1
    return made


async def marketplace(session: AsyncSession, today: date) -> int:
    slots = 0
    for spec in THERAPISTS:
        therapist = await _authorised(session, spec.username, spec.licence, spec.title)
        await _person(session, spec.username)
        await therapists.save_profile(session, therapist, ProfileIn(title=spec.title, **spec.profile))
        await therapists.save_reception(session, therapist, ReceptionIn(video=True, on_site=True, address=spec.address))
        await therapists.save_weights(session, therapist, spec.weights)
        await therapists.save_reasons(session, therapist, spec.reasons)
        for client in spec.clients:
            await _person(session, client)
            await session.execute(insert(ClientOf).values(therapist_id=therapist.id, client_id=demo.demo_id(client),
                                                          origin="created").on_conflict_do_nothing())
        slots += await _slots(session, therapist, spec, next_week(today))
    return slots


async def _directory(session: AsyncSession) -> None:
    """Booking's copy of the clinics and their practitioners, as the gateway's directory events carry them."""
    for key, _ in PRACTITIONERS.values():
        clinic = demo.BY_KEY[key]
        values = {"kind": clinic.kind, "parent_id": clinic.parent_id, "code": clinic.code, "name": clinic.name,
                  "time_zone": clinic.time_zone, "active": True}
        await session.execute(insert(organisations).values(id=clinic.id, **values).on_conflict_do_nothing())
    for username in PRACTITIONERS:
        for key, role in demo.BY_USERNAME[username].memberships:
            await session.execute(insert(memberships).values(account_id=demo.demo_id(username),
                                                             organisation_id=demo.demo_id(key), role=role)
                                  .on_conflict_do_nothing())


async def _type(session: AsyncSession, me: Practice, clinic: uuid.UUID, body: TypeIn, tariffs: dict) -> AppointmentType:
    found = (await session.execute(select(AppointmentType).where(AppointmentType.organisation_id == clinic,
                                                                 AppointmentType.name == body.name))).scalar_one_or_none()
    return found or await appointments.create_type(session, me, body, tariffs)


async def clinics(session: AsyncSession, settings: Settings, today: date) -> int:
    await _directory(session)
    made = 0
    for username, (key, patients) in PRACTITIONERS.items():
        clinic = demo.BY_KEY[key]
        practitioner = await _authorised(session, username, "PSY-100001", "Psykolog")
        await _person(session, username)
        me = Practice(id=practitioner.id, clinics=frozenset({clinic.id}))
        for patient in patients:
            await _person(session, patient)
            await session.execute(insert(ClientOf).values(therapist_id=practitioner.id, client_id=demo.demo_id(patient),
                                                          origin="created").on_conflict_do_nothing())
        group = await _type(session, me, clinic.id, GROUP, settings.helfo_tariffs)
        single = await _type(session, me, clinic.id, SINGLE, settings.helfo_tariffs)
        template_name = "Ukemal høst"
        has_template = (await session.execute(select(WeekTemplate.id).where(
            WeekTemplate.organisation_id == clinic.id, WeekTemplate.name == template_name))).first()
        if not has_template:
            await appointments.create_template(session, me, TemplateIn(name=template_name, time_zone=clinic.time_zone, entries=[
                EntryIn(weekday=0, starts=time(9), type_id=group.id), EntryIn(weekday=2, starts=time(13), type_id=single.id),
                EntryIn(weekday=3, starts=time(9), type_id=group.id)]))
        starts = datetime.combine(next_week(today) + timedelta(days=1), time(10), ZoneInfo(clinic.time_zone))
        planned = (await session.execute(select(Appointment.id).where(
            Appointment.organisation_id == clinic.id, Appointment.type_id == group.id,
            Appointment.starts_at == starts))).first()
        if not planned:
            await appointments.create_appointment(session, me, AppointmentIn(
                type_id=group.id, starts_at=starts, time_zone=clinic.time_zone, note="Tema: søvn og hvile",
                patient_ids=[demo.demo_id(p) for p in patients]))
            made += 1
    return made


async def seed() -> None:
    settings = Settings()
    db = Database.from_settings(settings)
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date()
    try:
        async with db.transaction() as session:
            slots = await marketplace(session, today)
            groups = await clinics(session, settings, today)
    finally:
        await db.dispose()
    print(f"booking demo data ready: {len(THERAPISTS)} therapists ({slots} new slots next week), "
          f"{len(PRACTITIONERS)} clinics ({groups} new group appointments)")
