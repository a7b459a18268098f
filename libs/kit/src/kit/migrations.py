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


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's ``migrations/env.py`` (online, async engine)."""
    from alembic import context

    config = context.config
    metadatas = [target_metadata, kit_metadata, throttle_metadata]

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadatas, compare_type=True)
        with context.begin_transaction():
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


async def ensure_database(database_url: str) -> bool:
    """Create the database named in ``database_url`` if it does not exist. True when it was created."""
    url = make_url(database_url)
    name = url.database
    admin = plain_dsn(url.set(database="postgres").render_as_string(hide_password=False))
    conn = await asyncpg.connect(admin)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        await conn.execute(f'CREATE DATABASE "{name}"')
        return True
    except asyncpg.DuplicateDatabaseError:
        return False
    finally:
        await conn.close()


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


async def upgrade(service_root: Path, database_url: str, revision: str = "head") -> None:
    """Create the database if needed and migrate it (alembic runs its own loop, so in a thread)."""
    await ensure_database(database_url)
    await asyncio.to_thread(upgrade_sync, service_root, database_url, revision)
