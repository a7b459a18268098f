"""The monthly payout, on time: a background task of the billing process. From ``payout_day`` of a
month on, it runs the previous month if nobody has (the run's advisory lock and primary key make
replicas and manual runs safe)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi import FastAPI

from billing.models import PayoutRun
from billing.payouts import rules, service
from kit.service import repeat

log = logging.getLogger("billing.payouts")


async def scheduled_payouts(app: FastAPI, stop: asyncio.Event) -> None:
    settings = app.state.settings
    if settings.payout_scheduler_enabled:
        await repeat(stop, settings.payout_check_interval_s, lambda: run_if_due(app, datetime.now(UTC)),
                     "scheduled payout")


async def run_if_due(app: FastAPI, now: datetime) -> str | None:
    settings = app.state.settings
    month = rules.due_month(now, ZoneInfo(settings.business_time_zone), settings.payout_day)
    if month is None:
        return None
    async with app.state.db.transaction() as session:
        if await session.get(PayoutRun, str(month)):
            return None
        payouts = await service.run_month(session, settings, app.state.bank, month, triggered_by="scheduler", now=now)
    if payouts is None:
        return None  # another replica ran it meanwhile
    log.info("paid %d therapist(s) for %s", len(payouts), month)
    return str(month)
