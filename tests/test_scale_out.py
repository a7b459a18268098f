"""Scale-out on one machine: two instances of a consuming service (billing) take work from the same
queues, every effect happens once, and killing one instance in the middle loses nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from billing.app import ROOT as BILLING_ROOT
from billing.app import build
from billing.settings import Settings
from contracts.booking.v1 import BookingRequested
from contracts.money import Money
from kit import migrations
from kit.testing import fetch, free_port, publish_many, wait_for

EVENTS = 400


def handled_count(metrics_text: str, queue: str) -> float:
    total = 0.0
    for line in metrics_text.splitlines():
        if line.startswith("kit_messages_total{") and f'queue="{queue}"' in line and 'outcome="handled"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


async def ready(port: int) -> bool:
    try:
        async with httpx.AsyncClient(timeout=1) as client:
            return (await client.get(f"http://127.0.0.1:{port}/health/ready")).status_code == 200
    except httpx.HTTPError:
        return False


async def payments(settings) -> int:
    return (await fetch(settings, "SELECT count(*) AS n FROM payments"))[0]["n"]


@pytest.mark.slow
async def test_two_billing_instances_share_the_queue_and_a_killed_one_loses_nothing(test_env):
    base = test_env.settings(Settings, database="billing_scaleout", payout_scheduler_enabled=False)
    test_env.track_queues(list(build(base).consumers.bindings(base)))
    await migrations.upgrade(BILLING_ROOT, base.database_url)
    ports = [free_port(), free_port()]
    processes = []
    for port in ports:
        settings = base.model_copy(update={"http_port": port, "stub_webhook_url": f"http://127.0.0.1:{port}/webhooks/provider"})
        processes.append(subprocess.Popen([sys.executable, "-m", "billing"], env=test_env.env(settings, "BILLING_")))
    try:
        for port in ports:
            await wait_for(lambda p=port: ready(p), timeout=60, what=f"billing on {port}")

        now = datetime.now(UTC)
        events = [
            BookingRequested(booking_id=uuid.uuid4(), slot_id=uuid.uuid4(), therapist_id=uuid.uuid4(), client_id=uuid.uuid4(),
                             starts_at=now + timedelta(days=2), price=Money(amount_minor=50000, currency="SEK"),
                             hold_expires_at=now + timedelta(minutes=15))
            for _ in range(EVENTS)
        ]
        await publish_many(test_env, events)
        await wait_for(lambda: _at_least(base, EVENTS // 4), timeout=60, what="a quarter of the work done")

        queue = base.queue_name("payments")
        async with httpx.AsyncClient() as client:
            first_share = handled_count((await client.get(f"http://127.0.0.1:{ports[0]}/metrics")).text, queue)
        processes[0].send_signal(signal.SIGKILL)  # no goodbye: in-flight messages are redelivered
        processes[0].wait(10)

        await wait_for(lambda: _at_least(base, EVENTS), timeout=90, what="every booking to get its payment")
        async with httpx.AsyncClient() as client:
            second_share = handled_count((await client.get(f"http://127.0.0.1:{ports[1]}/metrics")).text, queue)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(20)

    assert first_share > 0 and second_share > 0, (first_share, second_share)  # both took work
    rows = await fetch(base, "SELECT count(*) AS n, count(DISTINCT booking_id) AS bookings FROM payments")
    assert rows[0]["n"] == rows[0]["bookings"] == EVENTS                     # each effect exactly once
    created = await fetch(base, "SELECT count(*) AS n FROM outbox WHERE event_type = 'billing.payment_created.v1'")
    assert created[0]["n"] == EVENTS
    stub = await fetch(base, "SELECT count(*) AS n FROM stub_provider_payments")
    assert stub[0]["n"] == EVENTS                                             # the provider was asked once per booking


async def _at_least(settings, count: int) -> bool:
    return await payments(settings) >= count


@pytest.mark.slow
async def test_sigterm_under_load_finishes_in_flight_work_and_loses_nothing(test_env, tmp_path):
    # a small prefetch bounds the work in flight, so SIGTERM lands while most messages still wait in the queue
    base = test_env.settings(Settings, database="billing_sigterm", payout_scheduler_enabled=False, prefetch=8,
                             consumer_concurrency=4)
    test_env.track_queues(list(build(base).consumers.bindings(base)))
    await migrations.upgrade(BILLING_ROOT, base.database_url)
    port = free_port()
    settings = base.model_copy(update={"http_port": port, "stub_webhook_url": f"http://127.0.0.1:{port}/webhooks/provider"})
    env = test_env.env(settings, "BILLING_")

    log = tmp_path / "first.log"
    first = subprocess.Popen([sys.executable, "-m", "billing"], env=env, stderr=log.open("w"))
    await wait_for(lambda: ready(port), timeout=60, what="billing to start")
    now = datetime.now(UTC)
    events = [
        BookingRequested(booking_id=uuid.uuid4(), slot_id=uuid.uuid4(), therapist_id=uuid.uuid4(), client_id=uuid.uuid4(),
                         starts_at=now + timedelta(days=2), price=Money(amount_minor=50000, currency="SEK"),
                         hold_expires_at=now + timedelta(minutes=15))
        for _ in range(EVENTS)
    ]
    await publish_many(test_env, events)
    await wait_for(lambda: _at_least(base, EVENTS // 5), timeout=60, what="work in progress")
    first.send_signal(signal.SIGTERM)
    # uvicorn re-raises the signal after its graceful shutdown, so the exit status is -SIGTERM
    assert first.wait(30) in (0, -signal.SIGTERM)
    assert "billing stopped cleanly" in log.read_text()  # consumers stopped, in-flight work finished or returned
    done_before_restart = await payments(base)
    assert done_before_restart < EVENTS  # it really stopped in the middle

    second = subprocess.Popen([sys.executable, "-m", "billing"], env=env)
    try:
        await wait_for(lambda: _at_least(base, EVENTS), timeout=90, what="the rest after the restart")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) in (0, -signal.SIGTERM)
    rows = await fetch(base, "SELECT count(*) AS n, count(DISTINCT booking_id) AS bookings FROM payments")
    assert rows[0]["n"] == rows[0]["bookings"] == EVENTS
