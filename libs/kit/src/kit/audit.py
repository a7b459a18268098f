"""The audit of personal and clinical data (HSLF-FS 2016:40, JR-2): append-only and hash-chained.

Every read of a person's record, every look-up in a register and every printout is a row: who (``actor_id``),
whose data (``subject_id``), what (``action``, ``target``), when (``at``), why (``reason``, where the law asks
the user for one), in which organisation, and whether it was allowed. Each row's hash covers its content and
the previous row's hash, so an edited or deleted row breaks the chain (``verify_chain``). The database refuses
UPDATE and TRUNCATE (a trigger); DELETE only by ``purge`` past the retention period (default five years),
which starts the chain later, not broken.

Each service creates its table in a migration of its own with ``create_audit_table()`` and writes in the
transaction of the read itself, so a read that fails leaves no row and a row never lacks its read:

    await audit.write(session, actor=me.account_id, subject=recipient.id, action="read recipient",
                      target=str(recipient.id), organisation=str(unit.id), reason=body.reason)

A denial is written in a transaction of its own (``write_denial``): the request's is rolled back when the 403
is raised. Writers take a transaction-level advisory lock, so the chain never forks. Admins read it through
``admin_router()`` (the newest rows first, filtered by subject, actor or action) and check the chain.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy import BigInteger, Boolean, Column, DateTime, MetaData, Table, Text, Uuid, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal, require_roles
from kit.db import Database

audit_metadata = MetaData()

audit_trail = Table(
    "audit_trail",
    audit_metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor_id", Uuid, nullable=False, index=True),
    Column("subject_id", Uuid, index=True),
    Column("action", Text, nullable=False),
    Column("target", Text),
    Column("allowed", Boolean, nullable=False),
    Column("organisation", Text),
    Column("reason", Text),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
)

#: pg_advisory_xact_lock key of "the audit chain is being extended" ('audit!' as an integer)
CHAIN_LOCK = 0x617564697421
GENESIS = "0" * 64
PURGE_SETTING = "kit.audit_purge"


def row_hash(prev_hash: str, at: datetime, actor: uuid.UUID, subject: uuid.UUID | None, action: str, target: str | None,
             allowed: bool, organisation: str | None, reason: str | None) -> str:
    """SHA-256 over the previous hash and every field (the reason appended only when there is one, so rows
    written before reasons existed keep their hashes)."""
    parts = [prev_hash, at.astimezone(UTC).isoformat(), str(actor), str(subject or ""), action, target or "",
             "1" if allowed else "0", organisation or ""]
    if reason:
        parts.append(reason)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


async def write(session: AsyncSession, *, actor: uuid.UUID, subject: uuid.UUID | None, action: str,
                target: str | None = None, allowed: bool = True, organisation: str | None = None,
                reason: str | None = None) -> None:
    await write_many(session, actor=actor, action=action, entries=[(subject, target)], allowed=allowed,
                     organisation=organisation, reason=reason)


async def write_many(session: AsyncSession, *, actor: uuid.UUID, action: str,
                     entries: Sequence[tuple[uuid.UUID | None, str | None]], allowed: bool = True,
                     organisation: str | None = None, reason: str | None = None) -> None:
    """One row per (subject, target), e.g. every recipient a list showed, chained in order: one lock, one look-up."""
    if not entries:
        return
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    prev = (await session.execute(select(audit_trail.c.hash).order_by(audit_trail.c.id.desc()).limit(1))).scalar() or GENESIS
    at = datetime.now(UTC)
    rows = []
    for subject, target in entries:
        digest = row_hash(prev, at, actor, subject, action, target, allowed, organisation, reason)
        rows.append({"at": at, "actor_id": actor, "subject_id": subject, "action": action, "target": target,
                     "allowed": allowed, "organisation": organisation, "reason": reason, "prev_hash": prev, "hash": digest})
        prev = digest
    await session.execute(audit_trail.insert(), rows)


async def write_denial(db: Database, **kwargs: object) -> None:
    """A refused attempt, in a transaction of its own (the request's is rolled back with the 403)."""
    async with db.transaction() as own:
        await write(own, allowed=False, **kwargs)  # type: ignore[arg-type]


class ChainCheck(BaseModel):
    valid: bool
    rows: int
    broken_at: int | None = None
    oldest: datetime | None = None
    retention_from: datetime | None = None


async def verify_chain(session: AsyncSession, retention_days: int | None = None) -> ChainCheck:
    """Walk the chain: every row's hash must match its content and the previous row's hash. Rows older than the
    retention period may have been purged from the start; the chain is checked from the first row kept."""
    prev: str | None = None
    count, oldest = 0, None
    result = await session.stream(select(audit_trail).order_by(audit_trail.c.id).execution_options(yield_per=2000))
    async for row in result:
        count += 1
        if prev is None:
            prev, oldest = row.prev_hash, row.at
        expected = row_hash(row.prev_hash, row.at, row.actor_id, row.subject_id, row.action, row.target, row.allowed,
                            row.organisation, row.reason)
        if row.prev_hash != prev or row.hash != expected:
            return ChainCheck(valid=False, broken_at=row.id, rows=count, oldest=oldest)
        prev = row.hash
    since = datetime.now(UTC) - timedelta(days=retention_days) if retention_days else None
    return ChainCheck(valid=True, rows=count, oldest=oldest, retention_from=since)


async def purge(session: AsyncSession, retention_days: int) -> int:
    """Delete rows older than the retention period (from the start of the chain only); the trigger lets a
    DELETE through only inside this function's transaction setting."""
    await session.execute(text(f"SELECT set_config('{PURGE_SETTING}', 'on', true)"))
    deleted = await session.execute(audit_trail.delete().where(
        audit_trail.c.at < datetime.now(UTC) - timedelta(days=retention_days)))
    return deleted.rowcount or 0


# -- the admin's view ----------------------------------------------------------------------------------------------
class AuditRow(BaseModel):
    id: int
    at: datetime
    actor_id: uuid.UUID
    subject_id: uuid.UUID | None
    action: str
    target: str | None
    allowed: bool
    organisation: str | None
    reason: str | None


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's unit of work, as kit.service's DbSession (which this module cannot import: kit.service
    imports housekeeping, which imports this module)."""
    async with request.app.state.db.transaction() as session:
        yield session


#: Module-level, so FastAPI resolves the routes' (string) annotations: names local to admin_router it cannot see.
Session = Annotated[AsyncSession, Depends(_session, scope="function")]
Admin = Annotated[Principal, Depends(require_roles("admin"))]


def admin_router(prefix: str = "/admin/audit", *, tag: str = "audit") -> APIRouter:
    """GET ``prefix`` (newest first, by subject, actor or action) and GET ``prefix``/verify, for admins only.
    The retention comes from the service's ``audit_retention_days`` setting."""
    router = APIRouter(prefix=prefix, tags=[tag])

    @router.get("")
    async def audit_rows(session: Session, principal: Admin, subject_id: uuid.UUID | None = None,
                         actor_id: uuid.UUID | None = None, action: str | None = Query(default=None, max_length=200),
                         limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[AuditRow]:
        """Who read whose data, when, why: the newest rows first."""
        query = select(audit_trail).order_by(audit_trail.c.id.desc()).limit(limit)
        if subject_id:
            query = query.where(audit_trail.c.subject_id == subject_id)
        if actor_id:
            query = query.where(audit_trail.c.actor_id == actor_id)
        if action:
            query = query.where(audit_trail.c.action == action)
        return [AuditRow.model_validate(dict(r._mapping)) for r in await session.execute(query)]

    @router.get("/verify")
    async def audit_verify(request: Request, session: Session, principal: Admin) -> ChainCheck:
        """Walks the hash chain: an edited or deleted row is found here."""
        return await verify_chain(session, getattr(request.app.state.settings, "audit_retention_days", None))

    return router


_GUARD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION kit_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('{PURGE_SETTING}', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
"""


def install(connection: Connection) -> None:
    """The audit table, append-only: UPDATE and TRUNCATE refused, DELETE only by ``purge``."""
    audit_metadata.create_all(connection)
    connection.execute(text(_GUARD_FUNCTION))
    connection.execute(text("CREATE TRIGGER audit_trail_append_only BEFORE UPDATE OR DELETE ON audit_trail "
                            "FOR EACH ROW EXECUTE FUNCTION kit_audit_guard()"))
    connection.execute(text("CREATE TRIGGER audit_trail_no_truncate BEFORE TRUNCATE ON audit_trail "
                            "FOR EACH STATEMENT EXECUTE FUNCTION kit_audit_guard()"))


def create_audit_table() -> None:
    """Alembic migration step of each service that audits."""
    from alembic import op

    install(op.get_bind())


def drop_audit_table() -> None:
    from alembic import op

    audit_metadata.drop_all(op.get_bind())
