"""Assembles the booking service: ``create_app()`` for uvicorn, ``service.main()`` for the CLI."""

import asyncio
from pathlib import Path

from fastapi import FastAPI

from booking.adapters.licence_register import licence_register
from booking.appointments.routes import router as appointments_router
from booking.bookings.expiry import sweep_expired_holds
from booking.bookings.routes import router as bookings_router
from booking.calendar.routes import router as calendar_router
from booking.clients.routes import router as clients_router
from booking.journal.routes import router as journal_router
from booking.seed import seed
from booking.settings import Settings
from booking.subscribers import consumers
from booking.therapists.routes import router as therapists_router
from kit import audit
from kit.crypto import KeyRing
from kit.service import Service

ROOT = Path(__file__).resolve().parents[2]  # services/booking: alembic.ini and migrations/


async def provide_licence_register(app: FastAPI) -> None:
    """Socialstyrelsen's licence register as BOOKING_LICENCE_REGISTER chooses (adapters/licence_register.py),
    and the journal's key ring."""
    app.state.licence_register = licence_register(app.state.settings)
    settings: Settings = app.state.settings
    app.state.journal_keys = KeyRing({kid: key.get_secret_value() for kid, key in settings.journal_keys.items()}, settings.journal_key_current)


async def close_licence_register(app: FastAPI, stop: asyncio.Event) -> None:
    """Background task whose only job is to close the register's client at shutdown."""
    await stop.wait()
    if close := getattr(app.state.licence_register, "close", None):
        await close()


def build(settings: Settings | None = None, **overrides: object) -> Service:
    return Service(
        settings or Settings(),
        root=ROOT,
        routers=[therapists_router, clients_router, journal_router, calendar_router, bookings_router,
                 appointments_router, audit.admin_router("/admin/journal/audit", tag="journal")],
        on_startup=[provide_licence_register],
        commands={"seed": seed},
        consumers=consumers,
        background=[sweep_expired_holds, close_licence_register],
        description="The therapist marketplace: profiles, matching, calendar, paid bookings, group appointments, journals.",
        **overrides,  # type: ignore[arg-type]
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build(settings).create_app()
