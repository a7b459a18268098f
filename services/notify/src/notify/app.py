"""Assembles the notify service: ``create_app()`` for uvicorn, ``service.main()`` for the CLI."""

from pathlib import Path

from fastapi import FastAPI

from notify.settings import Settings
from notify.subscribers import consumers
from kit.service import Service

ROOT = Path(__file__).resolve().parents[2]  # services/notify: alembic.ini and migrations/


def build(settings: Settings | None = None, **overrides: object) -> Service:
    return Service(
        settings or Settings(),
        root=ROOT,
        consumers=consumers,
        description="Every email and SMS the platform sends: templates, delivery log, retries, scheduled sends.",
        **overrides,  # type: ignore[arg-type]
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build(settings).create_app()
