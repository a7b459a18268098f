"""Housekeeping (kit.housekeeping) against the real PostgreSQL: one run prunes old sent outbox rows, old
inbox rows and expired idempotency keys, in batches, leaves fresh and unsent rows, and counts them."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY, generate_latest
from sqlalchemy import text

from kit import housekeeping, metrics
from kit.db import Database
from kit.settings import ServiceSettings
from kit.testing import RunEnvironment, fetch
from kit.testing.sample import create_tables


@pytest.fixture(scope="module")
async def settings(test_env: RunEnvironment) -> ServiceSettings:
    settings = test_env.settings(ServiceSettings, service_name="kitprune", housekeeping_batch_size=3)
    await create_tables(settings.database_url)
    metrics.setup_metrics(settings)
    return settings


@pytest.fixture(scope="module")
async def db(settings: ServiceSettings) -> AsyncIterator[Database]:
    database = Database(settings.database_url, pool_size=3)
    yield database
    await database.dispose()


def pruned_metric(table: str) -> float:
    scraped = generate_latest(REGISTRY).decode()
    pattern = rf'kit_pruned_rows_total\{{[^}}]*service="kitprune"[^}}]*table="{table}"[^}}]*\}} (\S+)'
    found = re.search(pattern, scraped)
    return float(found.group(1)) if found else 0.0


async def insert_outbox(settings: ServiceSettings, age: str, sent: bool) -> uuid.UUID:
    event_id = uuid.uuid4()
    published = f"now() - interval '{age}'" if sent else "NULL"
    await fetch(
        settings,
        "INSERT INTO outbox (event_id, event_type, routing_key, body, created_at, published_at) "
        f"VALUES ($1, 'kittest.thing_happened.v1', 'kittest.thing_happened.v1', '{{}}', "
        f"now() - interval '{age}', {published})",
        event_id,
    )
    return event_id


async def test_one_run_prunes_old_rows_in_batches_and_keeps_fresh_and_unsent_ones(settings, db):
    before = {table: pruned_metric(table) for table in ("outbox", "inbox", "idempotency_keys")}
    old_sent = [await insert_outbox(settings, "8 days", sent=True) for _ in range(7)]  # more than a batch
    fresh_sent = await insert_outbox(settings, "1 day", sent=True)
    old_unsent = await insert_outbox(settings, "30 days", sent=False)
    consumer = f"c-{uuid.uuid4()}"
    for age, n in (("15 days", 4), ("13 days", 1)):
        for _ in range(n):
            await fetch(
                settings,
                "INSERT INTO inbox (consumer, event_id, event_type, processed_at) "
                f"VALUES ($1, $2, 't', now() - interval '{age}')",
                consumer, uuid.uuid4(),
            )
    scope = f"s-{uuid.uuid4()}"
    for key, age in (("old", "25 hours"), ("old2", "3 days"), ("fresh", "23 hours")):
        await fetch(
            settings,
            "INSERT INTO idempotency_keys (scope, key, fingerprint, created_at) "
            f"VALUES ($1, $2, 'f', now() - interval '{age}')",
            scope, key,
        )

    pruned = await housekeeping.prune(db.engine, settings)

    assert pruned is not None
    assert pruned["outbox"] >= 7 and pruned["inbox"] >= 4 and pruned["idempotency_keys"] >= 2
    left = await fetch(settings, "SELECT event_id FROM outbox WHERE event_id = ANY($1::uuid[])",
                       [*old_sent, fresh_sent, old_unsent])
    assert {r["event_id"] for r in left} == {fresh_sent, old_unsent}
    inbox = await fetch(settings, "SELECT count(*) AS n FROM inbox WHERE consumer = $1", consumer)
    assert inbox[0]["n"] == 1
    keys = await fetch(settings, "SELECT key FROM idempotency_keys WHERE scope = $1", scope)
    assert [r["key"] for r in keys] == ["fresh"]
    assert pruned_metric("outbox") - before["outbox"] == pruned["outbox"]
    assert pruned_metric("inbox") - before["inbox"] == pruned["inbox"]
    assert pruned_metric("idempotency_keys") - before["idempotency_keys"] == pruned["idempotency_keys"]


async def test_a_second_replica_skips_while_one_is_pruning(settings, db):
    async with db.engine.connect() as other:
        await other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": housekeeping.HOUSEKEEPING_LOCK_KEY})
        assert await housekeeping.prune(db.engine, settings) is None
        await other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": housekeeping.HOUSEKEEPING_LOCK_KEY})
    assert await housekeeping.prune(db.engine, settings) is not None


async def test_throttle_counters_go_once_they_neither_count_nor_lock(settings, db):
    from kit.throttle import throttle_metadata

    async with db.engine.begin() as conn:
        await conn.run_sync(throttle_metadata.create_all)
    age = settings.throttle_window_s + settings.throttle_max_s
    rows = {"done": (f"{age + 60} seconds", None), "counting": ("10 seconds", None),
            "locked": (f"{age + 60} seconds", "now() + interval '5 minutes'")}
    for key, (started, locked) in rows.items():
        await fetch(settings, "INSERT INTO throttle (key, failures, window_started_at, locked_until) "
                              f"VALUES ($1, 3, now() - interval '{started}', {locked or 'NULL'})", key)

    pruned = await housekeeping.prune(db.engine, settings)

    assert pruned is not None and pruned["throttle"] == 1
    left = await fetch(settings, "SELECT key FROM throttle ORDER BY key")
    assert [r["key"] for r in left] == ["counting", "locked"]
