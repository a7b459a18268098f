"""Issue 20: a request that cannot get a database connection in time gets 503 with Retry-After, never a 500,
and the service serves again as soon as connections are free."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from kit.db import Database
from kit.problems import install_problem_handlers
from kit.settings import ServiceSettings
from kit.testing import RunEnvironment


async def test_a_saturated_pool_answers_503_and_recovers(test_env: RunEnvironment):
    settings = test_env.settings(ServiceSettings, service_name="kitbudget")
    from kit import migrations

    await migrations.ensure_database(settings.database_url)
    db = Database(settings.database_url, pool_size=1, max_overflow=0, pool_timeout_s=0.2)
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/slow")
    async def slow() -> dict:
        async with db.transaction() as session:
            await session.execute(text("SELECT pg_sleep(0.6)"))
        return {"ok": True}

    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                     base_url="http://kit") as client:
            answers = await asyncio.gather(*(client.get("/slow") for _ in range(4)))
            statuses = sorted(a.status_code for a in answers)
            busy = next(a for a in answers if a.status_code == 503)
            after = await client.get("/slow")
    finally:
        await db.dispose()
    assert statuses == [200, 503, 503, 503]
    assert busy.headers["retry-after"] == "1"
    assert busy.headers["content-type"].startswith("application/problem+json")
    assert busy.json()["type"].endswith("/service-busy")
    assert after.status_code == 200


async def test_a_database_that_refuses_new_connections_answers_503():
    """While PostgreSQL restarts, a new connection is refused or reset (or told 57P03, "starting up") before
    SQLAlchemy wraps anything: still a 503 with Retry-After, not a 500 (found by `make chaos`)."""
    from kit.testing import free_port

    db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere", pool_size=1, max_overflow=0)
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/read")
    async def read() -> dict:
        async with db.transaction() as session:
            await session.execute(text("SELECT 1"))
        return {"ok": True}

    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                     base_url="http://kit") as client:
            answer = await client.get("/read")
    finally:
        await db.dispose()
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "2"
    assert answer.json()["type"].endswith("/service-unavailable")
