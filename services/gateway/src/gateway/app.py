"""Assembles the gateway: ``create_app()`` for uvicorn, ``service.main()`` for the CLI."""

from pathlib import Path

from fastapi import FastAPI

from gateway.routing import close_client, open_client, router as routing_router, services_ready
from gateway.settings import Settings
from gateway.subscribers import consumers
from kit.service import Service

ROOT = Path(__file__).resolve().parents[2]  # services/gateway: alembic.ini and migrations/


def build(settings: Settings | None = None, **overrides: object) -> Service:
    return Service(
        settings or Settings(),
        root=ROOT,
        routers=[routing_router],
        consumers=consumers,
        on_startup=[open_client],
        background=[close_client],
        ready_checks=[services_ready],
        description="Identity (BankID, SITHS, password + SMS code), sessions, roles, routing to the services, login audit.",
        **overrides,  # type: ignore[arg-type]
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build(settings).create_app()
