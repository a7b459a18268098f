"""Housekeeping of kit's own tables in every service's database (issue 17): sent outbox rows, inbox rows
and idempotency keys are deleted once they can no longer matter, so the tables do not grow forever.

- outbox: rows sent more than ``outbox_retention_days`` ago; unsent rows are never touched;
- inbox: rows older than ``inbox_retention_days``. The inbox deduplicates redeliveries; the broker
  redelivers a message at most ``delivery_limit`` times, within minutes, and then dead-letters it. Only a
  shovel moving a dead-lettered message back can bring it later, so the window is generous (14 days):
  a message older than that is not redelivered, and its inbox row is no longer needed;
- idempotency keys: older than ``idempotency_retention_hours`` (24 h, what clients are promised);
- the audit trail (kit.audit), where a service has one: rows older than ``audit_retention_days`` (five years).

Deletes go in bounded batches (``DELETE … WHERE ctid IN (SELECT … LIMIT n)``), each its own short
transaction, so no lock is held for long. One replica prunes at a time: a session advisory lock, tried and
never waited for. ``kit_pruned_rows_total{service, table}`` counts what went.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg
from fastapi import FastAPI
from opentelemetry import metrics
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from kit.db import plain_dsn
from kit.settings import ServiceSettings

log = logging.getLogger("kit.housekeeping")

#: pg_advisory_lock key of "housekeeping is running in this database" ('prune!' as an integer).
HOUSEKEEPING_LOCK_KEY = 0x7072756E6521

#: table -> the condition on rows that may go; :age is the retention as an interval in seconds.
_OLD_ROWS = {
    "outbox": "published_at IS NOT NULL AND published_at < now() - make_interval(secs => :age)",
    "inbox": "processed_at < now() - make_interval(secs => :age)",
    "idempotency_keys": "created_at < now() - make_interval(secs => :age)",
    # kit.throttle's counters, in the services that throttle: neither counting nor locking any more
    "throttle": "window_started_at < now() - make_interval(secs => :age) "
                "AND (locked_until IS NULL OR locked_until < now() - make_interval(secs => :age))",
}


def retentions(settings: ServiceSettings) -> dict[str, float]:
    """Seconds each table's rows are kept."""
    return {
        "outbox": settings.outbox_retention_days * 86400,
        "inbox": settings.inbox_retention_days * 86400,
        "idempotency_keys": settings.idempotency_retention_hours * 3600,
        "throttle": settings.throttle_window_s + settings.throttle_max_s,
    }


_counter = None


def _pruned_counter():  # noqa: ANN202
    global _counter
    if _counter is None:
        _counter = metrics.get_meter("kit.housekeeping").create_counter(
            "kit_pruned_rows", description="Rows of kit's tables deleted by housekeeping, by table"
        )
    return _counter


async def prune(engine: AsyncEngine, settings: ServiceSettings) -> dict[str, int] | None:
    """One run: delete old rows of every kit table in batches. Returns the count per table, or None when
    another replica holds the lock (it is pruning)."""
    pruned = dict.fromkeys(_OLD_ROWS, 0)
    # the lock is a session's: its own connection, past any pooler (a pooled one changes hands)
    lock = await asyncpg.connect(plain_dsn(settings.session_database_url))
    try:
        if not await lock.fetchval("SELECT pg_try_advisory_lock($1)", HOUSEKEEPING_LOCK_KEY):
            return None
        for table, age in retentions(settings).items():
            async with engine.connect() as conn:
                if not await conn.scalar(text("SELECT to_regclass(:table) IS NOT NULL"), {"table": table}):
                    continue  # a table this service does not have (the throttle's)
            statement = text(
                f"DELETE FROM {table} WHERE ctid IN "
                f"(SELECT ctid FROM {table} WHERE {_OLD_ROWS[table]} LIMIT :limit)"
            )
            limit = settings.housekeeping_batch_size
            while True:
                async with engine.begin() as conn:
                    deleted = (await conn.execute(statement, {"age": age, "limit": limit})).rowcount
                pruned[table] += deleted
                if deleted:
                    _pruned_counter().add(deleted, {"service": settings.service_name, "table": table})
                if deleted < limit:
                    break
        async with engine.connect() as conn:
            audited = await conn.scalar(text("SELECT to_regclass('audit_trail') IS NOT NULL"))
        if audited:
            from kit import audit  # here, not at the top: kit.audit's admin routes import kit.service

            async with AsyncSession(engine) as session, session.begin():
                pruned["audit_trail"] = await audit.purge(session, settings.audit_retention_days)
    finally:
        await lock.close()  # ends the session, and with it the lock
    if any(pruned.values()):
        log.info("housekeeping: pruned %s", ", ".join(f"{n} {t}" for t, n in pruned.items() if n))
    return pruned


async def housekeeping(app: FastAPI, stop: asyncio.Event) -> None:
    """Background task of every service: prune every ``housekeeping_interval_s``."""
    from kit.service import repeat

    settings: ServiceSettings = app.state.settings

    async def step() -> bool:
        await prune(app.state.db.engine, settings)
        return False  # one run empties what is due; the next is an interval later

    await repeat(stop, settings.housekeeping_interval_s, step, "housekeeping")
