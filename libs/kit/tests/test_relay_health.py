"""The relay's readiness port (``<SERVICE>_RELAY_HEALTH_PORT``, Kubernetes' readiness probe of the relay
Deployment): 200 and its role while connected, 503 while it cannot reach its database."""

from __future__ import annotations

import asyncio

import httpx

from kit.relay import OutboxRelay, serve_health
from kit.settings import ServiceSettings
from kit.testing import free_port, wait_for
from kit.testing.sample import create_tables


async def answer(port: int) -> httpx.Response | None:
    try:
        async with httpx.AsyncClient(timeout=1) as http:
            return await http.get(f"http://127.0.0.1:{port}/health/ready")
    except httpx.HTTPError:
        return None


async def test_the_relay_says_active_then_standby_beside_it_and_not_ready_without_its_database(test_env):
    settings = test_env.settings(ServiceSettings, service_name="kitrelayhealth")
    await create_tables(settings.database_url)
    stop = asyncio.Event()
    first, second = OutboxRelay(settings), OutboxRelay(settings)
    ports = free_port(), free_port()
    tasks = [asyncio.create_task(first.run(stop)),
             asyncio.create_task(serve_health(first, "127.0.0.1", ports[0], stop))]
    try:
        async def role(port: int, expected: str) -> bool:
            response = await answer(port)
            return bool(response) and response.status_code == 200 and response.json()["role"] == expected

        await wait_for(lambda: role(ports[0], "active"), timeout=20, what="the first relay active")
        tasks += [asyncio.create_task(second.run(stop)),
                  asyncio.create_task(serve_health(second, "127.0.0.1", ports[1], stop))]
        await wait_for(lambda: role(ports[1], "standby"), timeout=20, what="the second relay standing by")

        away = ServiceSettings(**{**settings.model_dump(), "database_url": "postgresql+asyncpg://nobody@127.0.0.1:1/none"})
        lost, port = OutboxRelay(away), free_port()
        tasks += [asyncio.create_task(lost.run(stop)), asyncio.create_task(serve_health(lost, "127.0.0.1", port, stop))]

        async def not_ready() -> bool:
            response = await answer(port)
            return bool(response) and response.status_code == 503 and response.json()["role"] == "retrying"

        await wait_for(not_ready, timeout=20, what="the relay without a database to be not ready")
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 15)
