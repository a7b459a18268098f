"""Each service's copy of the gateway's directory: organisations and who holds which role in which.

The gateway owns the directory (services/gateway/src/gateway/directory) and publishes every change as an
event with ids (``OrganisationSaved``, ``MembershipGranted``, ``MembershipRevoked``). A service that decides
by organisation keeps a copy in two tables of its own database, created by a migration of its own with
``create_directory_tables()``, and filled by the handlers ``Directory.subscribe(consumers)`` registers. A
revoked membership stops counting the moment its event is handled.

Decisions are made against the copy:

    directory = Directory()
    directory.subscribe(consumers)                         # in the service's subscribers.py
    units = await directory.organisations(session, me.account_id, role="prescriber")
    if not await directory.holds(session, me.account_id, "controller", payer_id): raise forbidden(...)

Organisations form a tree (region → aid centre / municipality → service unit / buffer store); a role held in
an organisation counts in every organisation below it (``within``), so aid-centre staff of a region see the
region's municipalities.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Boolean, Column, MetaData, String, Table, Text, Uuid, and_, delete, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Envelope
from contracts.gateway.v1 import MembershipGranted, MembershipRevoked, OrganisationSaved

directory_metadata = MetaData()

organisations = Table(
    "directory_organisations",
    directory_metadata,
    Column("id", Uuid, primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("parent_id", Uuid, index=True),
    Column("code", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("time_zone", Text, nullable=False),
    Column("active", Boolean, nullable=False),
)

memberships = Table(
    "directory_memberships",
    directory_metadata,
    Column("account_id", Uuid, primary_key=True),
    Column("organisation_id", Uuid, primary_key=True, index=True),
    Column("role", String(20), primary_key=True),
)


@dataclass(frozen=True)
class Organisation:
    id: uuid.UUID
    kind: str
    parent_id: uuid.UUID | None
    code: str
    name: str
    time_zone: str
    active: bool


class Directory:
    """Look-ups in the service's copy of the directory, and the handlers that keep it."""

    # -- keeping the copy ---------------------------------------------------------------------------------------
    def subscribe(self, consumers: object, queue: str = "directory") -> None:
        """Register the three handlers on the service's ``Consumers`` (one queue of their own)."""
        on = consumers.on  # type: ignore[attr-defined]
        on(OrganisationSaved, queue=queue)(self._organisation_saved)
        on(MembershipGranted, queue=queue)(self._membership_granted)
        on(MembershipRevoked, queue=queue)(self._membership_revoked)

    @staticmethod
    async def _organisation_saved(session: AsyncSession, event: OrganisationSaved, envelope: Envelope) -> None:
        values = {"kind": event.kind, "parent_id": event.parent_id, "code": event.code, "name": event.name,
                  "time_zone": event.time_zone, "active": event.active}
        await session.execute(insert(organisations).values(id=event.organisation_id, **values)
                              .on_conflict_do_update(index_elements=[organisations.c.id], set_=values))

    @staticmethod
    async def _membership_granted(session: AsyncSession, event: MembershipGranted, envelope: Envelope) -> None:
        await session.execute(insert(memberships).values(account_id=event.account_id, organisation_id=event.organisation_id,
                                                         role=event.role).on_conflict_do_nothing())

    @staticmethod
    async def _membership_revoked(session: AsyncSession, event: MembershipRevoked, envelope: Envelope) -> None:
        await session.execute(delete(memberships).where(
            memberships.c.account_id == event.account_id, memberships.c.organisation_id == event.organisation_id,
            memberships.c.role == event.role))

    # -- look-ups -----------------------------------------------------------------------------------------------
    @staticmethod
    async def organisation(session: AsyncSession, organisation_id: uuid.UUID) -> Organisation | None:
        row = (await session.execute(select(organisations).where(organisations.c.id == organisation_id))).one_or_none()
        return Organisation(**row._mapping) if row else None

    @staticmethod
    async def by_code(session: AsyncSession, kind: str, code: str) -> Organisation | None:
        row = (await session.execute(select(organisations).where(organisations.c.kind == kind,
                                                                 organisations.c.code == code))).first()
        return Organisation(**row._mapping) if row else None

    @staticmethod
    async def memberships(session: AsyncSession, account_id: uuid.UUID) -> list[tuple[uuid.UUID, str]]:
        """(organisation id, role) of every membership the account holds."""
        rows = await session.execute(select(memberships.c.organisation_id, memberships.c.role)
                                     .where(memberships.c.account_id == account_id))
        return [(org, role) for org, role in rows]

    @staticmethod
    async def holds(session: AsyncSession, account_id: uuid.UUID, role: str, organisation_id: uuid.UUID) -> bool:
        """Whether the account holds ``role`` in this organisation or in one above it."""
        above = _ancestors_cte(organisation_id)
        found = await session.execute(
            select(literal(1)).select_from(memberships)
            .where(memberships.c.account_id == account_id, memberships.c.role == role,
                   memberships.c.organisation_id.in_(select(above.c.id))).limit(1))
        return found.first() is not None

    async def organisations(self, session: AsyncSession, account_id: uuid.UUID, *, role: str | Iterable[str],
                            kind: str | None = None, below: bool = True) -> list[Organisation]:
        """Active organisations where the account holds ``role`` (one or several); with ``below`` also every
        organisation under them (a region's municipalities, a municipality's service units), filtered by ``kind``."""
        roles = [role] if isinstance(role, str) else list(role)
        held = select(memberships.c.organisation_id).where(memberships.c.account_id == account_id,
                                                           memberships.c.role.in_(roles))
        if below:
            tree = select(organisations.c.id).where(organisations.c.id.in_(held)).cte("tree", recursive=True)
            tree = tree.union_all(select(organisations.c.id).where(organisations.c.parent_id == tree.c.id))
            ids = select(tree.c.id)
        else:
            ids = held
        query = select(organisations).where(organisations.c.id.in_(ids), organisations.c.active.is_(True))
        if kind is not None:
            query = query.where(organisations.c.kind == kind)
        rows = await session.execute(query.order_by(organisations.c.name))
        return [Organisation(**row._mapping) for row in rows]

    async def ids(self, session: AsyncSession, account_id: uuid.UUID, *, role: str | Iterable[str],
                  kind: str | None = None, below: bool = True) -> set[uuid.UUID]:
        return {o.id for o in await self.organisations(session, account_id, role=role, kind=kind, below=below)}

    @staticmethod
    async def members(session: AsyncSession, organisation_id: uuid.UUID, role: str) -> set[uuid.UUID]:
        rows = await session.execute(select(memberships.c.account_id).where(
            and_(memberships.c.organisation_id == organisation_id, memberships.c.role == role)))
        return {account for (account,) in rows}


def _ancestors_cte(organisation_id: uuid.UUID):  # noqa: ANN202 (a SQLAlchemy CTE)
    """The organisation and every one above it."""
    start = select(organisations.c.id, organisations.c.parent_id).where(organisations.c.id == organisation_id)
    up = start.cte("ancestors", recursive=True)
    return up.union_all(select(organisations.c.id, organisations.c.parent_id).where(organisations.c.id == up.c.parent_id))


def install(connection: Connection) -> None:
    directory_metadata.create_all(connection)


def create_directory_tables() -> None:
    """Alembic migration step of each service that keeps a copy of the directory."""
    from alembic import op

    install(op.get_bind())


def drop_directory_tables() -> None:
    from alembic import op

    directory_metadata.drop_all(op.get_bind())


__all__ = ["Directory", "Organisation", "create_directory_tables", "drop_directory_tables", "directory_metadata",
           "memberships", "organisations"]
