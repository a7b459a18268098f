"""Who sees and does what in logistics (issue #18), decided from logistics' copy of the directory.

- A prescriber's **service units** are those where they hold ``prescriber``; the **payer** of a record is the
  municipality above its service unit; their **own stores** are the buffer stores where they hold
  ``store_keeper``. The aid-centre staff grant these in the gateway's directory; tokens carry none of it.
- Every list and read is scoped to **municipalities**: a prescriber sees the records (orders, activities,
  pickups, deviations, return receipts) of their granted units' municipalities, and the recipients that
  belong to them; aid-centre staff see every municipality of their region, and what belongs to none (the
  aid centre's own records); admins see everything.
- A **recipient belongs to every municipality in whose service units it was registered** (added, or found
  again by personal number, with a reason: that look-up is audited) **or prescribed for**; a new recipient
  found in the population register belongs to the municipality of the unit the prescriber works for.
- Authorisation before existence: a record of another municipality is "not found", as a missing one is
  (404 alike); a write naming a unit or store that is not granted is a 403 that names it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import ColumnElement, exists, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from kit import audit
from kit.auth import Principal
from kit.db import Database
from kit.directory import Directory, Organisation
from kit.problems import forbidden, invalid, not_found
from kit.service import DbSession
from logistics.access import Staff

directory = Directory()


@dataclass
class Scope:
    """The caller and what the directory grants them, resolved once per request."""

    principal: Principal
    db: Database
    everything: bool = False
    staff: bool = False
    #: municipalities whose records the caller sees
    municipalities: frozenset[uuid.UUID] = frozenset()
    #: granted service units (prescriber), by id
    units: dict[uuid.UUID, Organisation] = field(default_factory=dict)
    #: granted own buffer stores (store_keeper), by code
    stores: dict[str, Organisation] = field(default_factory=dict)
    #: the municipalities above the granted units, by id
    payers: dict[uuid.UUID, Organisation] = field(default_factory=dict)

    @property
    def account_id(self) -> uuid.UUID:
        return self.principal.account_id

    @property
    def organisation(self) -> str:
        """What the audit names as the organisation the caller acts in."""
        if self.everything:
            return "admin"
        if self.staff:
            return "aid_centre"
        return ",".join(sorted(m.code for m in self.payers.values())) or "none"

    def sees(self, municipality_id: uuid.UUID | None) -> bool:
        if self.everything:
            return True
        if municipality_id is None:
            return self.staff  # the aid centre's own records
        return municipality_id in self.municipalities

    def where(self, column: ColumnElement) -> ColumnElement[bool]:
        """A list's filter on a record's ``municipality_id`` column."""
        if self.everything:
            return true()
        if self.staff:
            return or_(column.is_(None), column.in_(self.municipalities))
        return column.in_(self.municipalities)

    def recipients_where(self, recipient_id: ColumnElement) -> ColumnElement[bool]:
        """A list's filter on a recipient id column: recipients of the caller's municipalities."""
        from logistics.recipients.models import RecipientMunicipality as Link

        if self.everything:
            return true()
        linked = recipient_id.in_(select(Link.recipient_id).where(Link.municipality_id.in_(self.municipalities)))
        if self.staff:
            return or_(linked, ~exists().where(Link.recipient_id == recipient_id))
        return linked

    def unit(self, unit_id: uuid.UUID | None, default: uuid.UUID | None = None) -> Organisation:
        """The service unit a record is made for: the chosen one, else the default, among the granted ones."""
        chosen = unit_id or default
        if chosen is None:
            if len(self.units) == 1:
                return next(iter(self.units.values()))
            if not self.units:
                raise forbidden("you hold the prescriber role in no service unit: ask the aid centre for a grant")
            raise invalid("choose the service unit (service_unit_id) among yours: "
                          + ", ".join(f"{u.code} {u.name}" for u in self.units.values()))
        if chosen not in self.units:
            raise forbidden(f"service unit {chosen} is not one of your service units")
        return self.units[chosen]

    def payer(self, unit: Organisation) -> Organisation:
        return self.payers[unit.parent_id]  # type: ignore[index]

    def own_store(self, code: str) -> Organisation:
        if code not in self.stores:
            raise forbidden(f"store {code} is not one of your own stores")
        return self.stores[code]

    async def denied(self, action: str, subject: uuid.UUID | None, target: str | None = None) -> None:
        """The audit row of a refused attempt (its own transaction: the request's is rolled back)."""
        await audit.write_denial(self.db, actor=self.account_id, subject=subject, action=action, target=target,
                                 organisation=self.organisation)

    async def not_visible(self, what: str, ident: object, *, action: str, subject: uuid.UUID | None = None) -> Exception:
        """Refuse a record out of scope as not found (the same answer as a missing id), audited."""
        await self.denied(action, subject, str(ident))
        return not_found(what, ident)


async def resolve(session: AsyncSession, principal: Principal, db: Database) -> Scope:
    scope = Scope(principal=principal, db=db, everything=principal.has("admin"))
    if scope.everything:
        return scope
    municipalities: set[uuid.UUID] = set()
    if principal.has("aid_centre_staff"):
        region = await directory.ids(session, principal.account_id, role="aid_centre_staff", kind="municipality")
        scope.staff = True
        municipalities |= region
    if principal.has("prescriber"):
        units = await directory.organisations(session, principal.account_id, role="prescriber", kind="service_unit")
        for unit in units:
            if unit.parent_id is None:
                continue
            payer = scope.payers.get(unit.parent_id) or await directory.organisation(session, unit.parent_id)
            if payer is None or not payer.active:
                continue
            scope.units[unit.id], scope.payers[payer.id] = unit, payer
        municipalities |= set(scope.payers)
        stores = await directory.organisations(session, principal.account_id, role="store_keeper", kind="buffer_store")
        scope.stores = {s.code: s for s in stores}
    scope.municipalities = frozenset(municipalities)
    return scope


async def _scope(request: Request, session: DbSession, me: Staff) -> Scope:
    return await resolve(session, me, request.app.state.db)


Scoped = Annotated[Scope, Depends(_scope)]
