"""Assembles the logistics service: ``create_app()`` for uvicorn, ``service.main()`` for the CLI."""

from pathlib import Path

from fastapi import FastAPI

from logistics.settings import Settings
from logistics.subscribers import consumers
from kit.service import Service

ROOT = Path(__file__).resolve().parents[2]  # services/logistics: alembic.ini and migrations/


def build(settings: Settings | None = None, **overrides: object) -> Service:
    return Service(
        settings or Settings(),
        root=ROOT,
        consumers=consumers,
        description="Assistive devices: catalogue, stock, individuals, recipients, orders, pickups, returns, activities.",
        **overrides,  # type: ignore[arg-type]
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build(settings).create_app()
