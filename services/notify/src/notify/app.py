"""Assembles the notify service: ``create_app()`` for uvicorn, ``service.main()`` for the CLI
(``python -m notify smtp-sink`` runs the development SMTP sink)."""

import asyncio
from pathlib import Path

from fastapi import FastAPI

from kit.service import Service
from notify.adapters.sms import sms_provider
from notify.adapters.smtp import mailer
from notify.delivery import run_sender
from notify.routes import dev_router, router
from notify.settings import Settings
from notify.sink import serve_sink
from notify.subscribers import consumers

ROOT = Path(__file__).resolve().parents[2]  # services/notify: alembic.ini and migrations/


async def provide_channels(app: FastAPI) -> None:
    """The SMS provider and the mailer the settings choose (adapters/)."""
    app.state.sms = sms_provider(app.state.settings, app.state.db)
    app.state.mailer = mailer(app.state.settings)
    app.state.wake_sender = asyncio.Event()


async def close_channels(app: FastAPI, stop: asyncio.Event) -> None:
    """Background task whose only job is to close the SMS provider's client at shutdown."""
    await stop.wait()
    if close := getattr(app.state.sms, "close", None):
        await close()


def build(settings: Settings | None = None, **overrides: object) -> Service:
    return Service(
        settings or Settings(),
        root=ROOT,
        routers=[router],
        development_routers=[dev_router],
        consumers=consumers,
        on_startup=[provide_channels],
        background=[run_sender, close_channels],
        commands={"smtp-sink": serve_sink},
        description="Every email and SMS the platform sends: templates, delivery log, retries, scheduled sends.",
        **overrides,  # type: ignore[arg-type]
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build(settings).create_app()
