"""Recipient use cases (LG-9, LG-10): find or add a patient (address from the population register) or
a care unit; edit phone, door code and the infection flag; the views and printouts."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import IdentityNumberError, mask, swedish_personal_number
from kit.db import one_or_404
from kit.problems import Problem, invalid
from logistics.adapters.population_register import PopulationRegister
from logistics.recipients.models import Recipient
from logistics.stock.models import IndividualEvent


async def add_patient(session: AsyncSession, register: PopulationRegister, personal_number: str) -> tuple[Recipient, bool]:
    """The patient with this number, added from the population register the first time (returns created?)."""
    try:
        number = swedish_personal_number(personal_number)
    except IdentityNumberError as exc:
        raise invalid(str(exc)) from exc
    existing = (await session.execute(select(Recipient).where(Recipient.personal_number == number))).scalar_one_or_none()
    if existing is not None:
        return existing, False
    person = await register.lookup(number)
    if person is None:
        raise Problem(404, "not-in-population-register", f"{mask(number)} is not in the population register")
    inserted = await session.execute(insert(Recipient).values(
        id=uuid.uuid4(), kind="patient", personal_number=number, name=person.name, street=person.street,
        postal_code=person.postal_code, city=person.city, infection_flag=False,
    ).on_conflict_do_nothing(index_elements=["personal_number"]).returning(Recipient.id))
    created = inserted.scalar()
    found = (await session.execute(select(Recipient).where(Recipient.personal_number == number))).scalar_one()
    return found, created is not None


async def add_care_unit(session: AsyncSession, number: str, name: str, street: str, postal_code: str, city: str) -> tuple[Recipient, bool]:
    """The care unit with this number, added the first time (returns created?); two clerks adding the same
    unit at once both get it."""
    inserted = await session.execute(insert(Recipient).values(
        id=uuid.uuid4(), kind="care_unit", care_unit_number=number, name=name, street=street,
        postal_code=postal_code, city=city, infection_flag=False,
    ).on_conflict_do_nothing(index_elements=["care_unit_number"]).returning(Recipient.id))
    created = inserted.scalar()
    found = (await session.execute(select(Recipient).where(Recipient.care_unit_number == number))).scalar_one()
    return found, created is not None


async def recipient(session: AsyncSession, recipient_id: uuid.UUID, *, lock: bool = False) -> Recipient:
    return await one_or_404(session, Recipient, recipient_id, "recipient", lock=lock)


async def edit(session: AsyncSession, recipient_id: uuid.UUID, changes: dict) -> Recipient:
    """Phone, door code and the infection flag; the name and address come from the register."""
    found = await recipient(session, recipient_id, lock=True)
    for field, value in changes.items():
        setattr(found, field, value)
    return found


async def returned(session: AsyncSession, recipient_id: uuid.UUID) -> list[IndividualEvent]:
    await recipient(session, recipient_id)
    return list((await session.execute(select(IndividualEvent).where(
        IndividualEvent.recipient_id == recipient_id, IndividualEvent.kind == "returned").order_by(IndividualEvent.at.desc()))).scalars())
