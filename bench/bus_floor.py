"""The floor of ``make bench-bus``: kit's guarantees written by hand, as little code as they allow.

asyncpg and aio-pika only, no framework, no ORM, no validation library, no metrics, no tracing. The same
tables (kit.schema: outbox with its NOTIFY trigger, inbox; the sample ``effects``), the same topology
(a topic exchange, a quorum queue with a delivery limit and a DLQ) and the same guarantees as kit:
- writer: the outbox row is inserted in the writer's own transaction (one INSERT per event);
- relay: claims unpublished rows in id order with ``FOR UPDATE SKIP LOCKED`` in a transaction held open
  while the batch is published persistent and mandatory with publisher confirms in flight; the rows are
  marked sent in that transaction after their confirms arrived; wakes on NOTIFY, polls as a fallback;
- consumer: per message one transaction holding the inbox row (ON CONFLICT DO NOTHING: a duplicate does
  nothing) and the effect; ack after commit; a failure nacks with requeue (the delivery limit then
  dead-letters). Synchronous commit, one message per transaction.
What it leaves out is what kit adds on top of the guarantees: envelope and payload validation into typed
events, dead-lettering with a reason, correlation context, metrics, trace context, leader election.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from datetime import UTC, datetime

import aio_pika
import asyncpg

INSERT_OUTBOX = """INSERT INTO outbox (event_id, event_type, routing_key, aggregate_id, body, headers)
                   VALUES ($1, $2, $3, $4, $5, '{}'::jsonb)"""
CLAIM = """SELECT id, event_id, event_type, routing_key, body FROM outbox WHERE published_at IS NULL
           ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"""
MARK = "UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])"
INBOX = """INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING event_id"""
EFFECT = "INSERT INTO effects (event_id, note) VALUES ($1, $2)"
EVENT_TYPE = "kittest.thing_happened.v1"


def envelope(seq: int, note: str) -> tuple[uuid.UUID, str]:
    """An envelope of the same shape and size as kit's for ThingHappened."""
    event_id, thing_id = uuid.uuid4(), uuid.uuid4()
    body = {"event_id": str(event_id), "event_type": EVENT_TYPE, "version": 1,
            "occurred_at": datetime.now(UTC).isoformat(), "producer": "kittest",
            "correlation_id": str(uuid.uuid4()), "causation_id": None,
            "payload": {"thing_id": str(thing_id), "seq": seq, "note": note}}
    return event_id, json.dumps(body)


async def write(conn: asyncpg.Connection, events: list[tuple[int, str]]) -> None:
    """One writer transaction with one outbox row per event."""
    async with conn.transaction():
        for seq, note in events:
            event_id, body = envelope(seq, note)
            await conn.execute(INSERT_OUTBOX, event_id, EVENT_TYPE, EVENT_TYPE, str(event_id), body)


async def relay(dsn: str, amqp_url: str, exchange_name: str, batch: int = 500, poll_s: float = 0.25) -> None:
    listener = await asyncpg.connect(dsn)
    worker = await asyncpg.connect(dsn)
    wake = asyncio.Event()
    await listener.add_listener("kit_outbox", lambda *_: wake.set())
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel(publisher_confirms=True, on_return_raises=False)
    exchange = await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
    stop = _stop_on_sigterm()
    print("ready", flush=True)
    while not stop.is_set():
        async with worker.transaction():
            rows = await worker.fetch(CLAIM, batch)
            if rows:
                await asyncio.gather(*(exchange.publish(
                    aio_pika.Message(row["body"].encode(), content_type="application/json",
                                     delivery_mode=aio_pika.DeliveryMode.PERSISTENT, message_id=str(row["event_id"]),
                                     type=row["event_type"]),
                    row["routing_key"], mandatory=True) for row in rows))
                await worker.execute(MARK, [row["id"] for row in rows])
        if len(rows) < batch:
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), poll_s)
            except TimeoutError:
                pass
    await connection.close()


async def consumer(dsn: str, amqp_url: str, queue_name: str, name: str, *, prefetch: int = 200,
                   concurrency: int = 32) -> None:
    # no reset on release (asyncpg's default is a round trip of RESET ALL, UNLISTEN *, …): nothing here sets any
    pool = await asyncpg.create_pool(dsn, min_size=concurrency, max_size=concurrency, reset=_no_reset)
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=prefetch)
    queue = await channel.get_queue(queue_name, ensure=False)

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        try:
            body = json.loads(message.body)
            event_id = uuid.UUID(body["event_id"])
            async with pool.acquire() as conn, conn.transaction():
                if await conn.fetchval(INBOX, name, event_id, body["event_type"]) is not None:
                    await conn.execute(EFFECT, event_id, body["payload"]["note"])
        except Exception:  # noqa: BLE001 - retried until the queue's delivery limit dead-letters it
            await message.nack(requeue=True)
            return
        await message.ack()

    await queue.consume(on_message)
    stop = _stop_on_sigterm()
    print("ready", flush=True)
    await stop.wait()
    await connection.close()
    await pool.close()


async def _no_reset(conn: asyncpg.Connection) -> None:
    return None


async def consumer_on_sqlalchemy(database_url: str, amqp_url: str, queue_name: str, name: str, *, prefetch: int = 200,
                                 concurrency: int = 32) -> None:
    """The floor's consumer with its transaction through kit.db (SQLAlchemy's async session) and the sample
    handler: not part of the floor, a measuring stick for what the session costs apart from the bus."""
    from sqlalchemy import text

    from contracts import Envelope
    from kit.db import Database
    from kit.testing.sample import ThingHappened, record_thing

    claim = text("INSERT INTO inbox (consumer, event_id, event_type) VALUES (:c, :e, :t) "
                 "ON CONFLICT DO NOTHING RETURNING event_id")
    db = Database(database_url, pool_size=concurrency)
    slots = asyncio.Semaphore(concurrency)
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=prefetch)
    queue = await channel.get_queue(queue_name, ensure=False)

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        try:
            envelope = Envelope.model_validate_json(message.body)
            event = ThingHappened.model_validate(envelope.payload)
            async with slots, db.transaction() as session:
                if (await session.execute(claim, {"c": name, "e": envelope.event_id, "t": envelope.event_type})).first():
                    await record_thing(session, event, envelope)
        except Exception:  # noqa: BLE001
            await message.nack(requeue=True)
            return
        await message.ack()

    await queue.consume(on_message)
    stop = _stop_on_sigterm()
    print("ready", flush=True)
    await stop.wait()
    await connection.close()
    await db.dispose()


def _stop_on_sigterm() -> asyncio.Event:
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    return stop


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process from /proc/<pid>/stat, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

