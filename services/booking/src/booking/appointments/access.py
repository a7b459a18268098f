"""Who works on which appointment book: a practitioner works on the book of every clinic where they hold
"practitioner" (booking's copy of the directory, kit.directory). Another clinic's types, templates and
appointments are answered as if they did not exist (404), so ids cannot be probed.

Rows made before clinics were recorded have no clinic: only their own practitioner sees them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from kit.directory import Directory
from kit.problems import Problem, forbidden

ROLE = "practitioner"


@dataclass(frozen=True)
class Practice:
    """The caller at work in the appointment book: who they are, their clinics, and the clinic they asked for."""

    id: uuid.UUID
    clinics: frozenset[uuid.UUID]
    requested: uuid.UUID | None = None

    def sees(self, organisation_id: uuid.UUID | None, practitioner_id: uuid.UUID) -> bool:
        return organisation_id in self.clinics if organisation_id is not None else practitioner_id == self.id

    def scope(self, model: type) -> object:
        """The SQL condition of ``sees`` on a model with ``organisation_id`` and ``practitioner_id``."""
        mine = model.organisation_id.in_(self.clinics) if self.clinics else False  # type: ignore[attr-defined]
        legacy = and_(model.organisation_id.is_(None), model.practitioner_id == self.id)  # type: ignore[attr-defined]
        return or_(mine, legacy)

    def clinic(self) -> uuid.UUID:
        """The clinic a new type, template or appointment belongs to: the one asked for (``clinic_id``), or the
        only one the practitioner works in."""
        return choose_clinic(self.clinics, self.requested)


def choose_clinic(clinics: frozenset[uuid.UUID], requested: uuid.UUID | None) -> uuid.UUID:
    """Pure rule (tested in tests/test_appointment_access.py)."""
    if requested is not None:
        if requested not in clinics:
            raise forbidden(f"you are not a practitioner of clinic {requested}")
        return requested
    if not clinics:
        raise forbidden("you are a practitioner of no clinic: the clinic's administrator grants the role")
    if len(clinics) > 1:
        raise Problem(422, "choose-clinic", "you work in several clinics: say which with ?clinic_id=",
                      clinics=sorted(str(c) for c in clinics))
    return next(iter(clinics))


async def practice(session: AsyncSession, account_id: uuid.UUID, requested: uuid.UUID | None = None) -> Practice:
    clinics = await Directory().ids(session, account_id, role=ROLE, kind="clinic")
    return Practice(id=account_id, clinics=frozenset(clinics), requested=requested)
