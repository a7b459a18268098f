"""Assembles the portal service: ``create_app()`` for uvicorn, ``service.main()`` for the CLI
(``python -m portal seed`` loads the invented demo clients of kit.demo's care organisations)."""

import asyncio
import logging
from pathlib import Path

from fastapi import FastAPI

from kit import audit
from kit.service import Service
from portal.clients.routes import router
from portal.demo import seed
from portal.settings import Settings
from portal.subscribers import consumers

ROOT = Path(__file__).resolve().parents[2]  # services/portal: alembic.ini and migrations/
log = logging.getLogger("portal.audit")


async def purge_audit(app: FastAPI, stop: asyncio.Event) -> None:
    """Every housekeeping interval: audit rows older than ``audit_retention_days`` go (from the chain's start,
    so the chain still verifies from the first row kept)."""
    settings: Settings = app.state.settings
    while True:
        try:
            async with app.state.db.transaction() as session:
                purged = await audit.purge(session, settings.audit_retention_days)
            if purged:
                log.info("audit: purged %s rows older than %s days", purged, settings.audit_retention_days)
        except Exception:  # noqa: BLE001 - the next round tries again; serving goes on
            log.exception("audit: purge failed")
        try:
            await asyncio.wait_for(stop.wait(), settings.housekeeping_interval_s)
            return
        except TimeoutError:
            pass


def build(settings: Settings | None = None, **overrides: object) -> Service:
    return Service(
        settings or Settings(),
        root=ROOT,
        routers=[router, audit.admin_router("/admin/audit")],
        consumers=consumers,
        background=[purge_audit],
        commands={"seed": seed},
        description="The client portal: reports, support plans, measurements, appointments, representatives.",
        **overrides,  # type: ignore[arg-type]
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build(settings).create_app()
