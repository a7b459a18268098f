"""Invented demo data for the client portal (``python -m portal seed``, run by ``make run``; idempotent).

For both care organisations of kit.demo (Zorgveld Begeleiding, Rivierzorg) a client record for each of their
clients, with the ids kit.demo gives them (the gateway's seed makes the accounts and the directory with the same
ids, and publishes the memberships the portal decides from): reports by the coordinator and the client, support
plans (the first client's second version awaits approval, as does one plan in the other organisation),
measurements over the last weeks and appointments today and tomorrow. Nobody is real: names, addresses and
dates of birth are invented; phones and emails are kit.demo's test ones.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database
from kit.demo import BY_KEY, BY_USERNAME, demo_id
from kit.pdf import PdfDocument
from portal.clients import rules
from portal.models import Appointment, ClientRecord, Measurement, Report, SupportPlan
from portal.settings import Settings


@dataclass(frozen=True)
class DemoClient:
    username: str
    organisation: str  # kit.demo organisation key
    coordinator: str  # kit.demo username
    date_of_birth: str
    address: str
    contact_person: str
    #: (plan title, approved by the client?) in version order
    plans: tuple[tuple[str, bool], ...]
    weight: float


CLIENTS = [
    DemoClient("demo.client", "care.1", "demo.coordinator", "1948-03-14", "Voorbeeldstraat 12, 1011 AB Amsterdam",
               "Demo Vertegenwoordiger", (("Ondersteuningsplan 2026", True), ("Ondersteuningsplan 2026, herzien", False)),
               71.5),
    DemoClient("demo.client2", "care.1", "demo.coordinator", "1953-09-02", "Proefweg 3, 1012 CD Amsterdam",
               "Demo Vertegenwoordiger", (("Ondersteuningsplan 2026", True),), 64.0),
    DemoClient("demo.client3", "care.2", "demo.coordinator2", "1940-11-27", "Oefenlaan 8, 3511 EF Utrecht",
               "Demo Vertegenwoordiger Twee", (("Ondersteuningsplan 2026", False),), 80.2),
    DemoClient("demo.client4", "care.2", "demo.coordinator2", "1961-06-19", "Testkade 21, 3512 GH Utrecht",
               "Demo Vertegenwoordiger Twee", (("Ondersteuningsplan 2026", True),), 58.7),
]

REPORTS = [
    ("coordinator", "Kennismakingsgesprek gehad. Afspraken over de dagbesteding gemaakt."),
    ("client", "Ik heb een goede week gehad en ben twee keer gaan wandelen."),
    ("coordinator", "Medicatie besproken met de huisarts; geen wijzigingen."),
]


def plan_pdf(client_name: str, organisation: str, title: str, version: int) -> bytes:
    doc = PdfDocument(title, subtitle=f"{organisation} · versie {version}", footer="Demo: verzonnen gegevens")
    doc.facts([("Cliënt", client_name), ("Organisatie", organisation), ("Versie", version)])
    doc.heading("Doelen")
    doc.paragraph("Zelfstandig boodschappen doen met begeleiding, twee keer per week.")
    doc.paragraph("Dagbesteding drie dagen per week; vervoer wordt geregeld.")
    doc.heading("Afspraken")
    doc.paragraph("De coördinerend begeleider evalueert dit plan elk halfjaar met de cliënt.")
    return doc.output()


async def load(session: AsyncSession, now: datetime | None = None) -> int:
    """Add every demo client not recorded yet, with their reports, plans, measurements and appointments.
    Returns how many were added (0 when the seed ran before)."""
    now = now or datetime.now(UTC)
    added = 0
    for demo in CLIENTS:
        person, organisation = BY_USERNAME[demo.username], BY_KEY[demo.organisation]
        coordinator = BY_USERNAME[demo.coordinator]
        if await session.get(ClientRecord, person.id) is not None:
            continue
        added += 1
        session.add(ClientRecord(id=person.id, organisation_id=organisation.id, display_name=person.display_name,
                                 date_of_birth=demo.date_of_birth, address=demo.address, phone=person.phone,
                                 email=person.email, contact_person=demo.contact_person))
        await session.flush()
        for index, (who, text) in enumerate(REPORTS):
            author = coordinator if who == "coordinator" else person
            session.add(Report(id=demo_id(f"portal.report.{demo.username}.{index}"), client_id=person.id,
                               author_id=author.id, author_name=author.display_name,
                               author_role=rules.COORDINATOR if who == "coordinator" else rules.CLIENT, text=text,
                               created_at=now - timedelta(days=14 - 5 * index)))
        for version, (title, approved) in enumerate(demo.plans, start=1):
            pdf = plan_pdf(person.display_name, organisation.name, title, version)
            published = now - timedelta(days=30 - 10 * version)
            session.add(SupportPlan(id=demo_id(f"portal.plan.{demo.username}.{version}"), client_id=person.id,
                                    version=version, title=title, pdf=pdf, size=len(pdf), published_by=coordinator.id,
                                    published_at=published, approved_by=person.id if approved else None,
                                    approved_at=published + timedelta(days=2) if approved else None))
        for week in range(6):
            at = now - timedelta(days=7 * (5 - week))
            session.add(Measurement(client_id=person.id, type_code="weight", value=round(demo.weight + 0.3 * (week % 3), 1),
                                    measured_at=at, recorded_by=person.id))
            session.add(Measurement(client_id=person.id, type_code="bp_systolic", value=128 + 2 * (week % 4),
                                    measured_at=at, recorded_by=person.id))
        zone = ZoneInfo(organisation.time_zone)
        today = now.astimezone(zone).date()
        for title, day, hour, minutes in (("Dagbesteding", today, 10, 240), ("Huisbezoek begeleider", today, 15, 60),
                                          ("Fysiotherapie", today + timedelta(days=1), 11, 45)):
            start = _local(day, hour, zone)
            session.add(Appointment(client_id=person.id, title=title, starts_at=start,
                                    ends_at=start + timedelta(minutes=minutes), source="own"))
    return added


def _local(day: date, hour: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour), zone)


async def seed() -> None:
    settings = Settings()
    db = Database.from_settings(settings)
    try:
        async with db.transaction() as session:
            added = await load(session)
        print(f"portal demo data: {added} client records added ({len(CLIENTS)} in the demo)", flush=True)
    finally:
        await db.dispose()


def demo_client_ids() -> list[uuid.UUID]:
    return [BY_USERNAME[c.username].id for c in CLIENTS]
