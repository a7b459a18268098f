"""Background task: release holds whose payment time ran out (every ``hold_sweep_interval_s``)."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from booking.bookings.service import expire_holds
from kit.service import repeat

log = logging.getLogger("booking.holds")


async def sweep_expired_holds(app: FastAPI, stop: asyncio.Event) -> None:
    async def sweep() -> int:
        async with app.state.db.transaction() as session:
            released = await expire_holds(session)
        if released:
            log.info("released %d expired hold(s)", released)
        return released

    await repeat(stop, app.state.settings.hold_sweep_interval_s, sweep, "hold sweep")
