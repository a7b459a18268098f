"""Recipient use cases (LG-9, LG-10): find or add a patient (address from the population register) or
a care unit; edit phone, door code and the infection flag; the views and printouts."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import IdentityNumberError, mask, swedish_personal_number
from kit import audit
from kit.db import one_or_404
from kit.problems import Problem, invalid
from logistics.adapters.population_register import PopulationRegister
from logistics.recipients.models import Recipient, RecipientMunicipality
from logistics.stock.models import IndividualEvent
from logistics.tenancy import Scope

LOOK_UP = "population register look-up"


async def municipalities_of(session: AsyncSession, recipient_id: uuid.UUID) -> set[uuid.UUID]:
    return set((await session.execute(select(RecipientMunicipality.municipality_id)
                                      .where(RecipientMunicipality.recipient_id == recipient_id))).scalars())


async def belongs_to(session: AsyncSession, recipient_id: uuid.UUID, municipality_id: uuid.UUID) -> None:
    """The recipient was registered or prescribed for in one of this municipality's units: it belongs to it."""
    await session.execute(insert(RecipientMunicipality).values(recipient_id=recipient_id, municipality_id=municipality_id)
                          .on_conflict_do_nothing())


async def visible(session: AsyncSession, scope: Scope, recipient_id: uuid.UUID, *, action: str = "read recipient",
                  target: str | None = None, lock: bool = False, audited: bool = True) -> Recipient:
    """The recipient, if it belongs to one of the caller's municipalities (aid-centre staff: of their
    region, or to none); otherwise not found, as a missing one, with the denial audited. The read itself
    is audited in the request's transaction (who, whose, what, when, in which organisation)."""
    found = await session.get(Recipient, recipient_id, with_for_update=lock)
    if found is None or not _sees(scope, await municipalities_of(session, found.id)):
        raise await scope.not_visible("recipient", recipient_id, action=action, subject=found.id if found else None)
    if audited:
        await audit.write(session, actor=scope.account_id, subject=found.id, action=action, target=target,
                          organisation=scope.organisation)
    return found


def _sees(scope: Scope, municipalities: set[uuid.UUID]) -> bool:
    if scope.everything:
        return True
    if not municipalities:
        return scope.staff
    return bool(municipalities & scope.municipalities)


async def add_patient(session: AsyncSession, scope: Scope, register: PopulationRegister, personal_number: str,
                      reason: str, municipality_id: uuid.UUID | None) -> tuple[Recipient, bool]:
    """The patient with this number, added from the population register the first time (returns created?).
    The look-up is audited with the reason the prescriber gives; the recipient then belongs to the
    municipality of the prescriber's service unit (``municipality_id``; none for the aid centre)."""
    try:
        number = swedish_personal_number(personal_number)
    except IdentityNumberError as exc:
        raise invalid(str(exc)) from exc
    existing = (await session.execute(select(Recipient).where(Recipient.personal_number == number))).scalar_one_or_none()
    if existing is not None:
        await _looked_up(session, scope, existing.id, number, reason, municipality_id)
        return existing, False
    person = await register.lookup(number)
    if person is None:
        await audit.write(session, actor=scope.account_id, subject=None, action=LOOK_UP, target=f"{mask(number)}: not found",
                          organisation=scope.organisation, reason=reason)
        raise Problem(404, "not-in-population-register", f"{mask(number)} is not in the population register")
    inserted = await session.execute(insert(Recipient).values(
        id=uuid.uuid4(), kind="patient", personal_number=number, name=person.name, street=person.street,
        postal_code=person.postal_code, city=person.city, infection_flag=False,
    ).on_conflict_do_nothing(index_elements=["personal_number"]).returning(Recipient.id))
    created = inserted.scalar()
    found = (await session.execute(select(Recipient).where(Recipient.personal_number == number))).scalar_one()
    await _looked_up(session, scope, found.id, number, reason, municipality_id)
    return found, created is not None


async def _looked_up(session: AsyncSession, scope: Scope, recipient_id: uuid.UUID, number: str, reason: str,
                     municipality_id: uuid.UUID | None) -> None:
    await audit.write(session, actor=scope.account_id, subject=recipient_id, action=LOOK_UP, target=mask(number),
                      organisation=scope.organisation, reason=reason)
    if municipality_id is not None:
        await belongs_to(session, recipient_id, municipality_id)


async def add_care_unit(session: AsyncSession, scope: Scope, number: str, name: str, street: str, postal_code: str, city: str,
                        municipality_id: uuid.UUID | None) -> tuple[Recipient, bool]:
    """The care unit with this number, added the first time (returns created?); two clerks adding the same
    unit at once both get it. It belongs to the municipality of the prescriber's service unit from now on."""
    inserted = await session.execute(insert(Recipient).values(
        id=uuid.uuid4(), kind="care_unit", care_unit_number=number, name=name, street=street,
        postal_code=postal_code, city=city, infection_flag=False,
    ).on_conflict_do_nothing(index_elements=["care_unit_number"]).returning(Recipient.id))
    created = inserted.scalar()
    found = (await session.execute(select(Recipient).where(Recipient.care_unit_number == number))).scalar_one()
    await audit.write(session, actor=scope.account_id, subject=found.id, action="register care unit", target=number,
                      organisation=scope.organisation)
    if municipality_id is not None:
        await belongs_to(session, found.id, municipality_id)
    return found, created is not None


async def recipient(session: AsyncSession, recipient_id: uuid.UUID, *, lock: bool = False) -> Recipient:
    """Unscoped: for callers that checked visibility already (``visible``)."""
    return await one_or_404(session, Recipient, recipient_id, "recipient", lock=lock)


async def edit(session: AsyncSession, scope: Scope, recipient_id: uuid.UUID, changes: dict) -> Recipient:
    """Phone, door code and the infection flag; the name and address come from the register."""
    found = await visible(session, scope, recipient_id, action="change recipient", lock=True)
    for field, value in changes.items():
        setattr(found, field, value)
    return found


async def returned(session: AsyncSession, scope: Scope, recipient_id: uuid.UUID) -> list[IndividualEvent]:
    await visible(session, scope, recipient_id, action="read recipient history", target="returned")
    return list((await session.execute(select(IndividualEvent).where(
        IndividualEvent.recipient_id == recipient_id, IndividualEvent.kind == "returned").order_by(IndividualEvent.at.desc()))).scalars())
