"""Alembic, the same way for every service.

Each service keeps ``alembic.ini`` and ``migrations/`` at its root; its ``migrations/env.py`` is one call
to ``run_env``. ``ensure_database`` creates the service's database when it is missing, and ``upgrade``
migrates it to head (both used by ``python -m <service> migrate``, ``make run`` and the test fixtures).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import async_engine_from_config

from kit.db import plain_dsn
from kit.schema import kit_metadata
from kit.throttle import throttle_metadata

#: pg_advisory_xact_lock key held while a database is migrated (ASCII of 'migrate' as an integer)
MIGRATION_LOCK_KEY = 0x6D696772617465


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's ``migrations/env.py`` (online, async engine)."""
    from alembic import context

    config = context.config
    metadatas = [target_metadata, kit_metadata, throttle_metadata]

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadatas, compare_type=True)
        with context.begin_transaction():
            # one migration at a time per database: Kubernetes runs `migrate` as an init container of every
            # pod, so many may start at once; the others wait here, then find the database at head
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
            context.run_migrations()

    async def run() -> None:
        engine = async_engine_from_config(
            config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
        )
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=metadatas)
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run())


async def ensure_database(database_url: str, admin_url: str = "") -> bool:
    """Create the database named in ``database_url`` if it does not exist. True when it was created.

    ``admin_url`` (a role that may create roles and databases; in development the local superuser) is
    used when the service logs in as its own role: the role is created (LOGIN, not a superuser, with the
    URL's password), the database is created owned by it, and a database made earlier by the admin is
    handed over to it with everything in its public schema. Without ``admin_url`` the service's own
    credentials are used, as where the database and its owner exist already (CloudNativePG makes both)."""
    url = make_url(database_url)
    name, owner = url.database, url.username
    admin_dsn = plain_dsn(admin_url) if admin_url else plain_dsn(url.set(database="postgres").render_as_string(hide_password=False))
    conn = await asyncpg.connect(admin_dsn)
    try:
        admin_user = await conn.fetchval("SELECT current_user")
        own_role = bool(owner) and owner != admin_user
        if own_role and not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", owner):
            password = f" PASSWORD {_literal(url.password)}" if url.password else ""
            try:
                await conn.execute(f"CREATE ROLE {_ident(owner)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE{password}")
            except asyncpg.DuplicateObjectError:
                pass  # another service's migrate made it meanwhile
        current = await conn.fetchval("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = $1", name)
        if current is None:
            try:
                await conn.execute(f"CREATE DATABASE {_ident(name)}" + (f" OWNER {_ident(owner)}" if own_role else ""))
            except asyncpg.DuplicateDatabaseError:
                return False
            return True
        if own_role and current != owner:
            await conn.execute(f"ALTER DATABASE {_ident(name)} OWNER TO {_ident(owner)}")
            await _hand_over(url.set(database=name), admin_dsn, owner)
        return False
    finally:
        await conn.close()


async def _hand_over(url, admin_dsn: str, owner: str) -> None:  # noqa: ANN001 - sqlalchemy URL
    """Give ``owner`` the public schema's tables, sequences, views, functions and types of a database the
    admin made (before services had their own roles)."""
    parts = make_url(admin_dsn.replace("postgresql://", "postgresql+asyncpg://", 1))
    conn = await asyncpg.connect(plain_dsn(parts.set(database=url.database).render_as_string(hide_password=False)))
    try:
        await conn.execute(f"""
            DO $$
            DECLARE item record;
            BEGIN
              EXECUTE format('ALTER SCHEMA public OWNER TO %I', {_literal(owner)});
              FOR item IN
                SELECT format('ALTER TABLE %I.%I OWNER TO %I', n.nspname, c.relname, {_literal(owner)}) AS sql
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                UNION ALL
                SELECT format('ALTER SEQUENCE %I.%I OWNER TO %I', n.nspname, c.relname, {_literal(owner)})
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind = 'S'
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))
                UNION ALL
                SELECT format('ALTER FUNCTION %s OWNER TO %I', p.oid::regprocedure, {_literal(owner)})
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')
                UNION ALL
                SELECT format('ALTER TYPE %I.%I OWNER TO %I', n.nspname, t.typname, {_literal(owner)})
                FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
              LOOP
                EXECUTE item.sql;
              END LOOP;
            END $$""")
    finally:
        await conn.close()


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


async def drop_database(database_url: str) -> None:
    url = make_url(database_url)
    admin = plain_dsn(url.set(database="postgres").render_as_string(hide_password=False))
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    finally:
        await conn.close()


def alembic_config(service_root: Path, database_url: str):  # noqa: ANN201 - alembic.config.Config
    from alembic.config import Config

    config = Config(str(service_root / "alembic.ini"))
    config.set_main_option("script_location", str(service_root / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_sync(service_root: Path, database_url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(service_root, database_url), revision)


async def upgrade(service_root: Path, database_url: str, revision: str = "head", *, admin_url: str = "") -> None:
    """Create the database (and the service's role) if needed and migrate it as the service's role
    (alembic runs its own loop, so in a thread)."""
    await ensure_database(database_url, admin_url)
    await asyncio.to_thread(upgrade_sync, service_root, database_url, revision)
