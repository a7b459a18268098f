"""Assembles the portal service: ``create_app()`` for uvicorn, ``service.main()`` for the CLI
(``python -m portal seed`` loads the invented demo clients of kit.demo's care organisations)."""

from pathlib import Path

from fastapi import FastAPI

from kit import audit
from kit.service import Service
from portal.clients.routes import router
from portal.demo import seed
from portal.settings import Settings
from portal.subscribers import consumers

ROOT = Path(__file__).resolve().parents[2]  # services/portal: alembic.ini and migrations/


def build(settings: Settings | None = None, **overrides: object) -> Service:
    return Service(
        settings or Settings(),
        root=ROOT,
        routers=[router, audit.admin_router("/admin/audit")],
        consumers=consumers,
        commands={"seed": seed},
        description="The client portal: reports, support plans, measurements, appointments, representatives.",
        **overrides,  # type: ignore[arg-type]
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build(settings).create_app()
