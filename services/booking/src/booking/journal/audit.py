"""The journal's audit log: append-only (trigger) and hash-chained (this module).

Writing takes a transaction-level advisory lock so the chain never forks; a denied read is written in a
transaction of its own (the request's is rolled back when the problem is raised).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from booking.journal.models import AuditRecord
from kit.db import Database

CHAIN_LOCK = 0x6A6F75726E616C  # 'journal'
GENESIS = "0" * 64


def row_hash(prev_hash: str, at: datetime, actor: uuid.UUID, client: uuid.UUID | None, action: str, target: str | None,
             allowed: bool, care_unit: str | None) -> str:
    content = "|".join([prev_hash, at.astimezone(UTC).isoformat(), str(actor), str(client or ""), action, target or "",
                        "1" if allowed else "0", care_unit or ""])
    return hashlib.sha256(content.encode()).hexdigest()


async def write(session: AsyncSession, *, actor: uuid.UUID, client: uuid.UUID | None, action: str, target: str | None = None,
                allowed: bool = True, care_unit: str | None = None) -> None:
    await write_many(session, actor=actor, action=action, entries=[(client, target)], allowed=allowed, care_unit=care_unit)


async def write_many(session: AsyncSession, *, actor: uuid.UUID, action: str,
                     entries: Sequence[tuple[uuid.UUID | None, str | None]], allowed: bool = True,
                     care_unit: str | None = None) -> None:
    """One audit row per (client, target), e.g. every note a read returned or every patient of a closed
    group session, chained in order: one lock, one lookup."""
    if not entries:
        return
    await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    prev = (await session.execute(select(AuditRecord.hash).order_by(AuditRecord.id.desc()).limit(1))).scalar() or GENESIS
    at = datetime.now(UTC)
    for client, target in entries:
        digest = row_hash(prev, at, actor, client, action, target, allowed, care_unit)
        session.add(AuditRecord(at=at, actor_id=actor, client_id=client, action=action, target=target, allowed=allowed,
                                care_unit=care_unit, prev_hash=prev, hash=digest))
        prev = digest
    await session.flush()


async def write_denial(db: Database, **kwargs: object) -> None:
    async with db.transaction() as own:
        await write(own, allowed=False, **kwargs)  # type: ignore[arg-type]


async def verify_chain(session: AsyncSession, retention_days: int | None = None) -> dict:
    """Walk the chain: every row's hash must match its content and the previous row's hash. Rows older
    than the retention period may have been purged from the start; the chain is checked from there."""
    rows = (await session.execute(select(AuditRecord).order_by(AuditRecord.id))).scalars().all()
    prev = rows[0].prev_hash if rows else GENESIS
    for row in rows:
        expected = row_hash(row.prev_hash, row.at, row.actor_id, row.client_id, row.action, row.target, row.allowed, row.care_unit)
        if row.prev_hash != prev or row.hash != expected:
            return {"valid": False, "broken_at": row.id, "rows": len(rows)}
        prev = row.hash
    oldest_allowed = datetime.now(UTC) - timedelta(days=retention_days) if retention_days else None
    return {"valid": True, "broken_at": None, "rows": len(rows),
            "oldest": rows[0].at.isoformat() if rows else None, "retention_from": oldest_allowed.isoformat() if oldest_allowed else None}
