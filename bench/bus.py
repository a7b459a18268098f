"""`make bench-bus`: kit's event path (outbox → relay → inbox consumer) against raw aio-pika, in one run.

kit path: this process writes N events with ``kit.outbox.add`` (8 concurrent writers, 50 events per
transaction); a relay process publishes them (publisher confirms in flight, persistent, mandatory); a
consumer process (kit.bus.EventBus with the sample consumer of kit.testing.sample) handles each in its
own transaction with its inbox row and one effect row. Throughput = N / (first write → last effect).
raw path: N messages published by aio-pika with confirms in flight (batches of 500) to a quorum queue,
consumed by another process with prefetch 200 and acked. Throughput = N / (first publish → last ack).
lag: events written at 200/s for 10 s; lag = effect written − event written (occurred_at); p50/p99.

The last line printed is JSON: {"kit_events_per_s", "raw_msgs_per_s", "ratio", "lag_p99_ms", …}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid

import aio_pika
import asyncpg

from kit import outbox
from kit.bus import EventBus
from kit.db import Database, plain_dsn
from kit.settings import ServiceSettings
from kit.testing import RunEnvironment, find_servers, terminate
from kit.testing.sample import ThingHappened, consumers, create_tables

WRITERS = 8
PER_TRANSACTION = 50


# -- child processes -----------------------------------------------------------------------------------------
async def kit_consumer() -> None:
    settings = ServiceSettings()
    bus = EventBus(settings, Database.from_settings(settings), consumers)
    await bus.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    await bus.stop()


async def raw_consumer(amqp_url: str, queue_name: str, count: int) -> None:
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=200)
    queue = await channel.declare_queue(queue_name, durable=True, arguments={"x-queue-type": "quorum"})
    done = asyncio.Event()
    seen = 0

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal seen
        await message.ack()
        seen += 1
        if seen == count:
            print(f"last-ack {time.time()}", flush=True)
            done.set()

    await queue.consume(on_message)
    print("ready", flush=True)
    await done.wait()
    await connection.close()


# -- the benchmark ------------------------------------------------------------------------------------------
def spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.strip() == "ready", f"{args} did not start: {line!r}"
    return process


async def count_effects(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT count(*) FROM effects")


async def write_events(db: Database, total: int, *, rate: float | None = None) -> None:
    """``total`` events by WRITERS concurrent writers; paced at ``rate`` events/s when given (1 per txn)."""
    if rate:
        interval = 1.0 / rate
        start = time.perf_counter()
        for i in range(total):
            async with db.transaction() as session:
                await outbox.add(session, ThingHappened(thing_id=uuid.uuid4(), seq=i, note="lag"))
            delay = start + (i + 1) * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        return

    async def writer(share: int) -> None:
        for start in range(0, share, PER_TRANSACTION):
            async with db.transaction() as session:
                for seq in range(start, min(start + PER_TRANSACTION, share)):
                    await outbox.add(session, ThingHappened(thing_id=uuid.uuid4(), seq=seq, note="throughput"))

    shares = [total // WRITERS + (1 if i < total % WRITERS else 0) for i in range(WRITERS)]
    await asyncio.gather(*(writer(share) for share in shares))


async def wait_effects(conn: asyncpg.Connection, target: int, timeout: float = 600) -> float:
    deadline = time.time() + timeout
    while (count := await count_effects(conn)) < target:
        if time.time() > deadline:
            raise SystemExit(f"only {count} of {target} effects after {timeout} s")
        await asyncio.sleep(0.01)
    return time.time()


async def kit_path(env: RunEnvironment, events: int, lag_seconds: float) -> dict[str, float]:
    settings = env.settings(ServiceSettings, service_name="benchbus", prefetch=200, consumer_concurrency=32,
                            database_pool_size=40, relay_batch_size=500)
    env.track_queues([settings.queue_name("things")])
    await create_tables(settings.database_url)
    child_env = env.env(settings, prefix="")
    consumer = spawn(["bench/bus.py", "kit-consumer"], child_env)
    relay = subprocess.Popen([sys.executable, "-m", "kit.testing.relay_process"], env=child_env,
                             stderr=subprocess.DEVNULL)
    db = Database(settings.database_url, pool_size=WRITERS + 2)
    conn = await asyncpg.connect(plain_dsn(settings.database_url))
    try:
        await write_events(db, 200)  # warm up connections, queues and caches
        await wait_effects(conn, 200)
        await conn.execute("TRUNCATE effects")

        started = time.time()
        await write_events(db, events)
        written = time.time()
        finished = await wait_effects(conn, events)
        throughput = events / (finished - started)

        await conn.execute("TRUNCATE effects")
        lag_events = int(200 * lag_seconds)
        await write_events(db, lag_events, rate=200)
        await wait_effects(conn, lag_events)
        lag = await conn.fetchrow(
            """SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
                      percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max
               FROM (SELECT extract(epoch FROM e.recorded_at - (o.body->>'occurred_at')::timestamptz) * 1000 AS ms
                     FROM effects e JOIN outbox o ON o.event_id = e.event_id) AS lags"""
        )
        return {"kit_events_per_s": throughput, "kit_write_s": written - started,
                "lag_p50_ms": lag["p50"], "lag_p99_ms": lag["p99"], "lag_max_ms": lag["max"]}
    finally:
        await conn.close()
        await db.dispose()
        terminate(relay, consumer)


async def raw_path(env: RunEnvironment, events: int) -> dict[str, float]:
    queue_name = f"{env.queue_prefix}bench.raw"
    env.queues.add(queue_name)
    consumer = spawn(["bench/bus.py", "raw-consumer", env.servers.amqp_url, queue_name, str(events)], dict(os.environ))
    connection = await aio_pika.connect(env.servers.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        body = ThingHappened(thing_id=uuid.uuid4(), note="raw").model_dump_json().encode()
        started = time.time()
        for start in range(0, events, 500):
            await asyncio.gather(*(
                channel.default_exchange.publish(
                    aio_pika.Message(body, message_id=str(uuid.uuid4()), delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                    queue_name, mandatory=True)
                for _ in range(start, min(start + 500, events))
            ))
        assert consumer.stdout is not None
        line = await asyncio.to_thread(consumer.stdout.readline)
        finished = float(line.split()[1])
        return {"raw_msgs_per_s": events / (finished - started)}
    finally:
        await connection.close()
        terminate(consumer)


async def bench(events: int, lag_seconds: float) -> None:
    env = RunEnvironment(find_servers(), "b" + uuid.uuid4().hex[:8])
    try:
        raw = await raw_path(env, events)
        kit = await kit_path(env, events, lag_seconds)
    finally:
        await env.cleanup()
    ratio = kit["kit_events_per_s"] / raw["raw_msgs_per_s"]
    print(f"\n{'path':<34}{'events/s':>12}")
    print(f"{'kit: outbox → relay → inbox':<34}{kit['kit_events_per_s']:>12.0f}")
    print(f"{'raw aio-pika (confirms, quorum)':<34}{raw['raw_msgs_per_s']:>12.0f}")
    print(f"ratio {ratio:.2f} (target ≥ 0.8); writing {events} events took {kit['kit_write_s']:.2f} s")
    print(f"lag at 200 events/s: p50 {kit['lag_p50_ms']:.1f} ms, p99 {kit['lag_p99_ms']:.1f} ms, "
          f"max {kit['lag_max_ms']:.1f} ms (target p99 ≤ 100 ms)\n")
    print(json.dumps({"kit_events_per_s": round(kit["kit_events_per_s"], 1), "raw_msgs_per_s": round(raw["raw_msgs_per_s"], 1),
                      "ratio": round(ratio, 3), "lag_p99_ms": round(kit["lag_p99_ms"], 1), "events": events}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="outbox → relay → inbox against raw aio-pika")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("kit-consumer")
    raw = sub.add_parser("raw-consumer")
    raw.add_argument("amqp_url")
    raw.add_argument("queue")
    raw.add_argument("count", type=int)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--lag-seconds", type=float, default=10.0)
    args = parser.parse_args()
    if args.command == "kit-consumer":
        asyncio.run(kit_consumer())
    elif args.command == "raw-consumer":
        asyncio.run(raw_consumer(args.amqp_url, args.queue, args.count))
    else:
        asyncio.run(bench(args.events, args.lag_seconds))
