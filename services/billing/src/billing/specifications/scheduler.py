"""The monthly rent run, on time: a background task of the billing process (BL-8).

At every check it runs the rent of the previous month and of the current one, in Swedish time. A run adds
only the lines that are missing, so an aid delivered mid-month gets its line at the next check, the
previous month is completed once it has ended, and replicas or a manual run at the same moment take turns
(the run's advisory lock) without adding anything twice.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI

from billing.specifications import rules, service
from kit.service import repeat

log = logging.getLogger("billing.specifications")


async def scheduled_rent_runs(app: FastAPI, stop: asyncio.Event) -> None:
    settings = app.state.settings
    if settings.rent_run_enabled:
        await repeat(stop, settings.rent_check_interval_s, lambda: run_rent(app, datetime.now(UTC)), "scheduled rent run")


async def run_rent(app: FastAPI, now: datetime) -> int:
    """Rent lines added for the month before ``now`` and the month of ``now``."""
    this_month = rules.period_of(now.astimezone(service.SWEDEN).date())
    added = 0
    for month in (rules.period_of(this_month - timedelta(days=1)), this_month):
        async with app.state.db.transaction() as session:
            added += await service.rent_run(session, month)
    if added:
        log.info("rent run added %d line(s)", added)
    return added
