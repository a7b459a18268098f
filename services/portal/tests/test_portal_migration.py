"""Migration 0003: the portal's own organisations and coordinators become its directory copy, and the old
access_audit rows are carried into kit.audit's chained trail (a chain that verifies), then the old tables go."""

import uuid

import asyncpg
from sqlalchemy import text

from kit import audit, migrations
from kit.db import Database, plain_dsn
from kit.directory import Directory
from portal.app import ROOT
from portal.settings import Settings


async def test_the_old_organisations_coordinators_and_audit_are_carried_over(test_env):
    settings = test_env.settings(Settings, database="portal_migration")
    await migrations.upgrade(ROOT, settings.database_url, "0002")
    organisation, coordinator, client = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    conn = await asyncpg.connect(plain_dsn(settings.database_url))
    try:
        await conn.execute("INSERT INTO organisations (id, name, time_zone) VALUES ($1, 'Testzorg', 'Europe/Amsterdam')",
                           organisation)
        await conn.execute("INSERT INTO coordinators (account_id, organisation_id) VALUES ($1, $2)", coordinator, organisation)
        await conn.execute("INSERT INTO clients (id, organisation_id, display_name) VALUES ($1, $2, 'Test Cliënt')",
                           client, organisation)
        for action, allowed, reason in (("read reports", True, None), ("read profile", False, "no such client")):
            await conn.execute("INSERT INTO access_audit (account_id, client_id, action, allowed, reason) "
                               "VALUES ($1, $2, $3, $4, $5)", coordinator, client, action, allowed, reason)
    finally:
        await conn.close()
    await migrations.upgrade(ROOT, settings.database_url)
    db = Database(settings.database_url, pool_size=1)
    try:
        async with db.transaction() as session:
            copied = await Directory.organisation(session, organisation)
            assert copied is not None and copied.kind == "care_organisation" and copied.name == "Testzorg"
            assert await Directory.holds(session, coordinator, "care_coordinator", organisation)
            rows = (await session.execute(audit.audit_trail.select().order_by(audit.audit_trail.c.id))).all()
            assert [(r.actor_id, r.subject_id, r.action, r.allowed, r.reason) for r in rows] == [
                (coordinator, client, "read reports", True, None), (coordinator, client, "read profile", False, "no such client")]
            assert (await audit.verify_chain(session)).valid
            gone = (await session.execute(text(
                "SELECT count(*) FROM pg_tables WHERE tablename IN ('organisations', 'coordinators', 'access_audit')"))).scalar()
            assert gone == 0
    finally:
        await db.dispose()
