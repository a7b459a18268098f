"""Assembles the booking service: ``create_app()`` for uvicorn, ``service.main()`` for the CLI."""

from pathlib import Path

from fastapi import FastAPI

from booking.bookings.expiry import sweep_expired_holds
from booking.bookings.routes import router as bookings_router
from booking.calendar.routes import router as calendar_router
from booking.settings import Settings
from booking.subscribers import consumers
from kit.service import Service

ROOT = Path(__file__).resolve().parents[2]  # services/booking: alembic.ini and migrations/


def build(settings: Settings | None = None, **overrides: object) -> Service:
    return Service(
        settings or Settings(),
        root=ROOT,
        routers=[calendar_router, bookings_router],
        consumers=consumers,
        background=[sweep_expired_holds],
        description="The therapist marketplace: profiles, matching, calendar, paid bookings, group appointments, journals.",
        **overrides,  # type: ignore[arg-type]
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    return build(settings).create_app()
