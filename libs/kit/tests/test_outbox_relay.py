"""The transactional outbox and its relay, against the real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aio_pika
import pytest

from kit import outbox
from kit.db import Database
from kit.relay import OutboxRelay
from kit.settings import ServiceSettings
from kit.testing import RunEnvironment, fetch, wait_for
from kit.testing.sample import SecretIssued, ThingHappened, create_tables

KEY = ThingHappened.type_name()


@pytest.fixture(scope="module")
async def relay_settings(test_env: RunEnvironment) -> AsyncIterator[ServiceSettings]:
    # an exchange of its own: the session's sample service publishes the same event type on the run's
    # exchange, and a probe here must see only what this module's relay publishes
    exchange = f"{test_env.exchange}.relay"
    settings = test_env.settings(ServiceSettings, service_name="kitrelay", relay_batch_size=200, exchange=exchange)
    await create_tables(settings.database_url)
    yield settings
    async with await aio_pika.connect(test_env.servers.amqp_url) as connection:
        channel = await connection.channel()
        await channel.exchange_delete(exchange)


@pytest.fixture(scope="module")
async def db(relay_settings: ServiceSettings) -> AsyncIterator[Database]:
    database = Database(relay_settings.database_url, pool_size=5)
    yield database
    await database.dispose()


@asynccontextmanager
async def relay_task(settings: ServiceSettings) -> AsyncIterator[OutboxRelay]:
    relay = OutboxRelay(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    try:
        yield relay
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)


@asynccontextmanager
async def durable_probe(
    test_env: RunEnvironment, settings: ServiceSettings, name: str, key: str = KEY
) -> AsyncIterator[asyncio.Queue]:
    """A durable queue bound to the test event, consumed over a robust connection, so it survives
    ``rabbitmqctl close_all_connections`` and keeps what arrives while the test's connection is down."""
    queue_name = f"{test_env.queue_prefix}probe.{name}"
    test_env.queues.add(queue_name)
    received: asyncio.Queue = asyncio.Queue()
    connection = await aio_pika.connect_robust(test_env.servers.amqp_url, reconnect_interval=0.2)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=500)
        exchange = await channel.declare_exchange(settings.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(queue_name, durable=True, arguments={"x-queue-type": "quorum"})
        await queue.bind(exchange, key)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            await received.put(message)
            await message.ack()

        await queue.consume(on_message)
        yield received
        await queue.unbind(exchange, key)


async def add_events(db: Database, thing_id: uuid.UUID, count: int, start: int = 0, note: str = "") -> list[str]:
    ids = []
    async with db.transaction() as session:
        for seq in range(start, start + count):
            envelope = await outbox.add(session, ThingHappened(thing_id=thing_id, seq=seq, note=note))
            ids.append(str(envelope.event_id))
    return ids


async def drain(received: asyncio.Queue, expected: set[str], timeout: float = 30) -> list[aio_pika.abc.AbstractIncomingMessage]:
    """Take messages until every expected event id has arrived (duplicates allowed, and kept)."""
    got: list[aio_pika.abc.AbstractIncomingMessage] = []
    missing = set(expected)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while missing:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"{len(missing)} of {len(expected)} events never arrived")
        message = await asyncio.wait_for(received.get(), remaining)
        got.append(message)
        missing.discard(message.message_id)
    return got


async def test_committed_event_is_published_with_its_envelope(test_env, relay_settings, db):
    async with durable_probe(test_env, relay_settings, "committed") as received, relay_task(relay_settings):
        thing = uuid.uuid4()
        async with db.transaction() as session:
            envelope = await outbox.add(session, ThingHappened(thing_id=thing, note="hello"))
        message = await asyncio.wait_for(received.get(), 10)

    assert message.message_id == str(envelope.event_id)
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert message.routing_key == KEY
    body = json.loads(message.body)
    assert body["event_type"] == KEY
    assert body["producer"] == "kittest"
    assert body["version"] == 1
    assert body["payload"]["thing_id"] == str(thing)
    assert body["correlation_id"]
    rows = await fetch(relay_settings, "SELECT published_at FROM outbox WHERE event_id = $1", envelope.event_id)
    assert rows[0]["published_at"] is not None


async def test_secret_fields_are_published_then_removed_from_the_stored_row(test_env, relay_settings, db):
    key = SecretIssued.type_name()
    async with durable_probe(test_env, relay_settings, "secret", key) as received, relay_task(relay_settings):
        async with db.transaction() as session:
            envelope = await outbox.add(session, SecretIssued(phone="+46701234567", code="493817"))
        message = await asyncio.wait_for(received.get(), 10)

    assert json.loads(message.body)["payload"]["code"] == "493817"  # the consumer got the code
    rows = await fetch(relay_settings, "SELECT published_at, body FROM outbox WHERE event_id = $1", envelope.event_id)
    assert rows[0]["published_at"] is not None
    stored = json.loads(rows[0]["body"])
    assert "code" not in stored["payload"] and "493817" not in rows[0]["body"]
    assert stored["payload"]["phone"] == "+46701234567"  # only the secret went


async def test_rolled_back_change_publishes_nothing(test_env, relay_settings, db):
    thing = uuid.uuid4()
    async with durable_probe(test_env, relay_settings, "rollback") as received, relay_task(relay_settings):
        with pytest.raises(RuntimeError):
            async with db.transaction() as session:
                await outbox.add(session, ThingHappened(thing_id=thing, note="rolled back"))
                raise RuntimeError("the use case failed")
        marker = await add_events(db, thing, 1, note="marker")
        first = await asyncio.wait_for(received.get(), 10)
        # the marker was written after the rolled-back event: had that one existed it would come first
        assert first.message_id == marker[0]
        assert received.empty()
    rows = await fetch(relay_settings, "SELECT count(*) AS n FROM outbox WHERE body->'payload'->>'thing_id' = $1", str(thing))
    assert rows[0]["n"] == 1


async def test_per_aggregate_order_holds(test_env, relay_settings, db):
    a, b = uuid.uuid4(), uuid.uuid4()
    async with durable_probe(test_env, relay_settings, "order") as received, relay_task(relay_settings):
        expected = []
        for start in range(0, 300, 30):  # interleaved transactions of two aggregates
            expected += await add_events(db, a, 30, start)
            expected += await add_events(db, b, 30, start)
        got = await drain(received, set(expected))
    for thing in (a, b):
        seqs = [json.loads(m.body)["payload"]["seq"] for m in got if json.loads(m.body)["payload"]["thing_id"] == str(thing)]
        assert seqs == list(range(300))


def start_relay_process(test_env: RunEnvironment, settings: ServiceSettings) -> subprocess.Popen:
    env = test_env.env(settings, prefix="")
    return subprocess.Popen([sys.executable, "-m", "kit.testing.relay_process"], env=env)


@pytest.mark.slow
async def test_relay_killed_after_commit_delivers_after_restart(test_env, relay_settings, db):
    thing = uuid.uuid4()
    async with durable_probe(test_env, relay_settings, "killed") as received:
        process = start_relay_process(test_env, relay_settings)
        first = await add_events(db, thing, 5)
        await drain(received, set(first))

        # a big stream, and the relay is killed (SIGKILL, no clean-up) in the middle of it
        stream = []
        for start in range(5, 3005, 500):
            stream += await add_events(db, thing, 500, start)
        await wait_for(
            lambda: fetch(relay_settings, "SELECT 1 FROM outbox WHERE published_at IS NOT NULL AND body->'payload'->>'seq' = '1000'"),
            what="the relay to be mid-stream",
        )
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        after_kill = await add_events(db, thing, 5, 3005)  # committed while no relay runs

        process = start_relay_process(test_env, relay_settings)
        try:
            got = await drain(received, set(stream + after_kill))
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(15) == 0
    unpublished = await fetch(relay_settings, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")
    assert unpublished[0]["n"] == 0
    assert {m.message_id for m in got} >= set(stream + after_kill)


@pytest.mark.slow
async def test_broker_connections_closed_mid_stream_lose_nothing(test_env, relay_settings, db):
    thing = uuid.uuid4()
    async with durable_probe(test_env, relay_settings, "closed") as received, relay_task(relay_settings) as relay:
        expected: list[str] = []
        for round_ in range(4):
            for start in range(round_ * 1000, round_ * 1000 + 1000, 250):
                expected += await add_events(db, thing, 250, start)
            subprocess.run(
                ["rabbitmqctl", "close_all_connections", "test: broker connections closed mid-stream"],
                check=True, capture_output=True, timeout=60,
            )
        got = await drain(received, set(expected), timeout=60)
        assert relay.published_total >= len(expected) - 1000  # it kept working between the closures
    unpublished = await fetch(relay_settings, "SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")
    assert unpublished[0]["n"] == 0
    assert {m.message_id for m in got} == set(expected)


async def test_two_relays_one_publishes_and_the_standby_takes_over(test_env, relay_settings, db):
    thing = uuid.uuid4()
    async with durable_probe(test_env, relay_settings, "standby") as received:
        async with relay_task(relay_settings) as first, relay_task(relay_settings) as second:
            await wait_for(lambda: _async(first.is_leader or second.is_leader), what="a leader")
            assert not (first.is_leader and second.is_leader)
            ids = await add_events(db, thing, 50)
            await drain(received, set(ids))
        async with relay_task(relay_settings) as third:
            ids = await add_events(db, thing, 10, 50)
            await drain(received, set(ids))
            assert third.is_leader


async def _async(value):
    return value


def test_relay_process_module_is_importable():
    # ``start_relay_process`` depends on it; fail here with a clear message rather than in a timeout.
    result = subprocess.run([sys.executable, "-c", "import kit.testing.relay_process"], env=dict(os.environ))
    assert result.returncode == 0
