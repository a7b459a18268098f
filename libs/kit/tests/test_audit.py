"""kit.audit against the real PostgreSQL: rows chain, an edited or deleted row is refused by the database and,
where it got through anyway (a superuser disabling the trigger), found by the chain check; the purge past the
retention period starts the chain later without breaking it; concurrent writers never fork the chain."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import create_async_engine

from kit import audit, migrations
from kit.db import Database
from kit.settings import ServiceSettings
from kit.testing import RunEnvironment


@pytest.fixture(scope="module")
async def db(test_env: RunEnvironment) -> AsyncIterator[Database]:
    settings = test_env.settings(ServiceSettings, service_name="kitaudit")
    await migrations.ensure_database(settings.database_url)
    engine = create_async_engine(settings.database_url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE IF EXISTS audit_trail"))
        await conn.run_sync(audit.install)
    await engine.dispose()
    database = Database(settings.database_url, pool_size=5)
    yield database
    await database.dispose()


async def test_rows_chain_and_the_check_passes(db):
    actor, subject = uuid.uuid4(), uuid.uuid4()
    async with db.transaction() as session:
        await audit.write(session, actor=actor, subject=subject, action="read recipient", target="r-1",
                          organisation="unit-1", reason="planned home visit")
        await audit.write_many(session, actor=actor, action="print aid list", entries=[(subject, "p-1"), (subject, "p-2")])
    async with db.transaction() as session:
        rows = (await session.execute(select(audit.audit_trail).where(audit.audit_trail.c.actor_id == actor)
                                      .order_by(audit.audit_trail.c.id))).all()
        check = await audit.verify_chain(session)
    assert [(r.action, r.target, r.reason) for r in rows] == [
        ("read recipient", "r-1", "planned home visit"), ("print aid list", "p-1", None), ("print aid list", "p-2", None)]
    assert rows[1].prev_hash == rows[0].hash and rows[2].prev_hash == rows[1].hash
    assert check.valid and check.rows >= 3


async def test_the_database_refuses_edits_and_deletes(db):
    async with db.transaction() as session:
        await audit.write(session, actor=uuid.uuid4(), subject=None, action="look up in register")
    for statement in ("UPDATE audit_trail SET action = 'nothing'", "DELETE FROM audit_trail", "TRUNCATE audit_trail"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.transaction() as session:
                await session.execute(text(statement))


async def test_a_tampered_row_is_found_by_the_chain_check(db):
    actor = uuid.uuid4()
    async with db.transaction() as session:
        await audit.write_many(session, actor=actor, action="read report", entries=[(None, "a"), (None, "b")])
    async with db.transaction() as session:  # what only a superuser could do: switch the guard off
        await session.execute(text("ALTER TABLE audit_trail DISABLE TRIGGER audit_trail_append_only"))
        await session.execute(text("UPDATE audit_trail SET target = 'changed' WHERE actor_id = :a AND target = 'a'"),
                              {"a": actor})
        await session.execute(text("ALTER TABLE audit_trail ENABLE TRIGGER audit_trail_append_only"))
    async with db.transaction() as session:
        check = await audit.verify_chain(session)
        tampered = (await session.execute(select(audit.audit_trail.c.id).where(audit.audit_trail.c.target == "changed"))).scalar()
    assert not check.valid and check.broken_at == tampered
    async with db.transaction() as session:  # leave a clean chain for the other tests
        await session.execute(text("ALTER TABLE audit_trail DISABLE TRIGGER USER"))
        await session.execute(text("TRUNCATE audit_trail"))
        await session.execute(text("ALTER TABLE audit_trail ENABLE TRIGGER USER"))


async def test_purging_past_the_retention_keeps_the_rest_of_the_chain_valid(db):
    async with db.transaction() as session:
        await session.execute(text("ALTER TABLE audit_trail DISABLE TRIGGER USER"))
        await session.execute(text("TRUNCATE audit_trail"))
        await session.execute(text("ALTER TABLE audit_trail ENABLE TRIGGER USER"))
    async with db.transaction() as session:
        await audit.write_many(session, actor=uuid.uuid4(), action="read plan", entries=[(None, str(i)) for i in range(4)])
    async with db.transaction() as session:  # the first two rows are six years old: back-date them and re-chain
        rows = (await session.execute(select(audit.audit_trail).order_by(audit.audit_trail.c.id))).all()
        await session.execute(text("ALTER TABLE audit_trail DISABLE TRIGGER USER"))
        prev = audit.GENESIS
        for index, row in enumerate(rows):
            at = row.at.replace(year=row.at.year - 6) if index < 2 else row.at
            digest = audit.row_hash(prev, at, row.actor_id, row.subject_id, row.action, row.target, row.allowed,
                                    row.organisation, row.reason)
            await session.execute(audit.audit_trail.update().where(audit.audit_trail.c.id == row.id)
                                  .values(at=at, prev_hash=prev, hash=digest))
            prev = digest
        await session.execute(text("ALTER TABLE audit_trail ENABLE TRIGGER USER"))
    async with db.transaction() as session:
        assert await audit.purge(session, retention_days=5 * 365) == 2
    async with db.transaction() as session:
        check = await audit.verify_chain(session, retention_days=5 * 365)
    assert check.valid and check.rows == 2


async def test_concurrent_writers_never_fork_the_chain(db):
    async def writer(n: int) -> None:
        async with db.transaction() as session:
            await audit.write(session, actor=uuid.uuid4(), subject=None, action="read measurement", target=str(n))

    await asyncio.gather(*(writer(n) for n in range(20)))
    async with db.transaction() as session:
        check = await audit.verify_chain(session)
        prevs = (await session.execute(select(audit.audit_trail.c.prev_hash))).scalars().all()
    assert check.valid
    assert len(prevs) == len(set(prevs))  # no two rows share a predecessor
