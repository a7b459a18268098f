"""Issue 20, point 1: each service logs in as its own role, never the superuser. ``migrate`` makes the role
(LOGIN, no superuser) and its database with the admin URL, and a database the admin made earlier is handed
over, so the role runs the next migration on tables it did not create."""

from __future__ import annotations

import asyncpg
import pytest

from booking.app import ROOT as BOOKING_ROOT
from kit import migrations
from kit.db import plain_dsn


@pytest.fixture
async def role(test_env):
    name = f"kitrole_{test_env.run_id}"
    yield name
    admin = await asyncpg.connect(test_env.servers.postgres_url)
    try:
        for database in (f"{name}_fresh", f"{name}_earlier"):
            await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'DROP ROLE IF EXISTS "{name}"')
    finally:
        await admin.close()


def as_role(test_env, role: str, database: str) -> str:
    return test_env.servers.database_url(database).replace("://postgres@", f"://{role}@", 1)


async def facts(url: str) -> dict:
    conn = await asyncpg.connect(plain_dsn(url))
    try:
        return {
            "user": await conn.fetchval("SELECT current_user"),
            "superuser": await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"),
            "owner": await conn.fetchval("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"),
            "foreign_tables": await conn.fetchval(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> current_user"),
            "revision": await conn.fetchval("SELECT version_num FROM alembic_version"),
        }
    finally:
        await conn.close()


async def test_migrate_makes_the_services_role_and_its_database(test_env, role):
    url = as_role(test_env, role, f"{role}_fresh")
    await migrations.upgrade(BOOKING_ROOT, url, admin_url=test_env.servers.postgres_url)
    assert await facts(url) == {"user": role, "superuser": False, "owner": role, "foreign_tables": 0, "revision": "0009"}
    await migrations.upgrade(BOOKING_ROOT, url, admin_url=test_env.servers.postgres_url)  # again: nothing to do


async def test_a_database_the_admin_made_is_handed_over_and_migrated_on_by_the_role(test_env, role):
    database = f"{role}_earlier"
    await migrations.upgrade(BOOKING_ROOT, test_env.servers.database_url(database), "0008")  # as the superuser
    url = as_role(test_env, role, database)
    await migrations.upgrade(BOOKING_ROOT, url, admin_url=test_env.servers.postgres_url)  # 0009 alters old tables
    assert await facts(url) == {"user": role, "superuser": False, "owner": role, "foreign_tables": 0, "revision": "0009"}

    conn = await asyncpg.connect(plain_dsn(url))
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # not a superuser: no other database's business
            await conn.execute("CREATE ROLE intruder SUPERUSER")
    finally:
        await conn.close()
