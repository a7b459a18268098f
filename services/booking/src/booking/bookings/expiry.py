"""Background task: release holds whose payment time ran out (every ``hold_sweep_interval_s``)."""

from __future__ import annotations

import asyncio
import logging

from fastapi import FastAPI

from booking.bookings.service import expire_holds

log = logging.getLogger("booking.holds")


async def sweep_expired_holds(app: FastAPI, stop: asyncio.Event) -> None:
    interval = app.state.settings.hold_sweep_interval_s
    while not stop.is_set():
        try:
            async with app.state.db.transaction() as session:
                released = await expire_holds(session)
            if released:
                log.info("released %d expired hold(s)", released)
                continue
        except Exception:  # noqa: BLE001 - try again next round
            log.exception("hold sweep failed")
        try:
            await asyncio.wait_for(stop.wait(), interval)
        except TimeoutError:
            pass
