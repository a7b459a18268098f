"""Issue 20, point 1: behind PgBouncer in transaction mode (what CloudNativePG's Pooler runs in Kubernetes)
a service works with ``database_pgbouncer`` on: a server connection serves another client after every
transaction, so asyncpg may neither cache statements nor reuse a statement's name. Here two server
connections are shared by the service's pool of eight, under concurrent requests and consumers."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from kit import outbox
from kit.db import plain_dsn
from kit.service import Service
from kit.settings import ServiceSettings
from kit.testing import free_port, running_service, wait_for
from kit.testing.sample import ThingHappened, consumers, create_tables

HERE = Path(__file__).parent


@pytest.fixture
async def pgbouncer(test_env) -> AsyncIterator[int]:
    """PgBouncer in transaction mode before the run's PostgreSQL, two server connections per database."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    target = urlsplit(test_env.servers.postgres_url)
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        users = Path(folder, "users.txt")
        users.write_text(f'"{target.username or "postgres"}" ""\n')
        config = Path(folder, "pgbouncer.ini")
        config.write_text(
            "[databases]\n"
            f"* = host={target.hostname or '127.0.0.1'} port={target.port or 5432}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {users}\n"
            "pool_mode = transaction\ndefault_pool_size = 2\nmax_client_conn = 100\n"
            "server_reset_query =\nignore_startup_parameters = extra_float_digits\n"
            f"logfile = {folder}/pgbouncer.log\npidfile = {folder}/pgbouncer.pid\n"
        )
        os.chmod(folder, 0o777)  # PgBouncer refuses to run as root: as postgres, it writes its log here
        process = subprocess.Popen([binary, str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                   user="postgres" if os.geteuid() == 0 else None)
        try:
            async def accepting() -> bool:
                try:
                    conn = await asyncpg.connect(host="127.0.0.1", port=port, user=target.username or "postgres",
                                                 database="postgres", statement_cache_size=0)
                except (OSError, asyncpg.PostgresError):
                    return False
                await conn.close()
                return True

            await wait_for(accepting, timeout=20, what="PgBouncer accepting connections")
            yield port
        finally:
            process.terminate()
            process.wait(10)


async def test_a_service_behind_pgbouncer_in_transaction_mode(test_env, pgbouncer):
    direct = test_env.settings(ServiceSettings, service_name="kitbouncer")
    await create_tables(direct.database_url)
    parts = urlsplit(direct.database_url)
    pooled = direct.database_url.replace(f"@{parts.hostname}:{parts.port}", f"@127.0.0.1:{pgbouncer}", 1)
    settings = test_env.settings(ServiceSettings, service_name="kitbouncer", database_url=pooled,
                                 database_pgbouncer=True, database_direct_url=direct.database_url,
                                 database_pool_size=4, database_max_overflow=4)
    async with running_service(Service(settings, root=HERE, consumers=consumers), test_env, migrate=False) as svc:
        db = svc.app.state.db
        ids, note = [uuid.uuid4() for _ in range(40)], f"pooled {uuid.uuid4()}"

        async def write(thing: uuid.UUID) -> None:  # the same statements from many connections at once
            async with db.transaction() as session:
                await outbox.add(session, ThingHappened(thing_id=thing, note=note))

        await asyncio.gather(*(write(thing) for thing in ids))
        conn = await asyncpg.connect(plain_dsn(direct.database_url))
        try:
            async def all_handled() -> bool:  # relay (direct) → broker → consumer (through PgBouncer)
                return await conn.fetchval("SELECT count(*) FROM effects WHERE note = $1", note) == len(ids)

            await wait_for(all_handled, what="every event handled by the consumer behind PgBouncer")
        finally:
            await conn.close()
        answers = await asyncio.gather(*(svc.client.get("/health/ready") for _ in range(5)))
        assert all(a.json()["checks"]["database"] is True for a in answers)
