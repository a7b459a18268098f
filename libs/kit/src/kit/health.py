"""Health a load balancer can use: ``/health/live`` and ``/health/ready``.

Readiness is decided in the background, not on the request: a task checks the database, the broker
connection, every consumer, the token keys and the service's own checks once a second (each with a time
limit), and ``/health/ready`` answers from the last round at once. So a probe never waits on a broker that
is away, and a burst of probes costs no connections. The service is not ready until the first round has
passed: it takes no traffic before it has its database, its consumers and the gateway's keys.

A result older than ``stale_after_s`` (the checking task itself stuck) counts as not ready.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

log = logging.getLogger("kit.health")

#: A check: given the app, a result (``True``/``False``, or a dict of named results) to merge into ``checks``.
ReadyCheck = Callable[[FastAPI], Awaitable[dict[str, Any]]]


async def database_check(app: FastAPI) -> dict[str, Any]:
    return {"database": await app.state.db.ping()}


async def bus_check(app: FastAPI) -> dict[str, Any]:
    return await app.state.bus.ready()


async def keys_check(app: FastAPI) -> dict[str, Any]:
    """The gateway's token keys are at hand (fetched from its JWKS when no key is configured)."""
    return {"keys": await app.state.token_verifier.ensure_keys()}


class Health:
    """The last round of readiness checks, kept by :meth:`run` and read by ``/health/ready``."""

    def __init__(self, checks: Sequence[ReadyCheck], *, interval_s: float = 1.0, timeout_s: float = 1.5) -> None:
        self.checks = list(checks)
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.stale_after_s = max(10.0, 5 * (interval_s + timeout_s))
        self.results: dict[str, Any] = {}
        self.checked_at: float | None = None

    async def check_once(self, app: FastAPI) -> dict[str, Any]:
        async def one(check: ReadyCheck) -> dict[str, Any]:
            try:
                return await asyncio.wait_for(check(app), self.timeout_s)
            except Exception:  # noqa: BLE001 - a check that fails or overruns is a failed check
                name = getattr(check, "__name__", "check").removesuffix("_check").removesuffix("_ready")
                log.debug("ready check %s failed or took longer than %.1f s", name, self.timeout_s, exc_info=True)
                return {name: False}

        merged: dict[str, Any] = {}
        for result in await asyncio.gather(*(one(check) for check in self.checks)):
            merged.update(result)
        self.results = merged
        self.checked_at = time.monotonic()
        return merged

    async def run(self, app: FastAPI, stop: asyncio.Event) -> None:
        """Background task: a round of checks every ``interval_s`` until ``stop``."""
        while not stop.is_set():
            await self.check_once(app)
            try:
                await asyncio.wait_for(stop.wait(), self.interval_s)
            except TimeoutError:
                pass

    def report(self) -> tuple[bool, dict[str, Any]]:
        if self.checked_at is None:
            return False, {"started": False}
        checks = dict(self.results)
        age = time.monotonic() - self.checked_at
        if age > self.stale_after_s:
            checks["fresh"] = False
        return all(_passed(v) for v in checks.values()), checks


def health_router() -> APIRouter:
    router = APIRouter(prefix="/health", tags=["health"])

    @router.get("/live")
    async def live() -> dict[str, str]:
        """The process is up and serving HTTP."""
        return {"status": "ok"}

    @router.get("/ready")
    async def ready(request: Request) -> JSONResponse:
        """Ready to work: database reachable, broker connected, every consumer attached, token keys at hand.
        Answered from the last background round (at most a second old), never by probing on the request."""
        app = request.app
        ok, checks = app.state.health.report()
        settings = app.state.settings
        return JSONResponse(
            {"status": "ready" if ok else "not ready", "service": settings.service_name,
             "environment": settings.environment, "stubs": settings.stubs(), "checks": checks},
            status_code=200 if ok else 503,
        )

    return router


def _passed(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get("status") == "ready" if "status" in value else all(_passed(v) for v in value.values())
    return bool(value)
