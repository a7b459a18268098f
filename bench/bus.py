"""`make bench-bus`: kit's event path (outbox → relay → inbox consumer) against the same guarantees written
by hand (the floor, bench/bus_floor.py) and against raw aio-pika, all in one run.

kit path: this process writes N events with ``kit.outbox.add`` (8 concurrent writers, 50 events per
transaction); a relay process publishes them (publisher confirms in flight, persistent, mandatory); a
consumer process (kit.bus.EventBus with the sample consumer of kit.testing.sample) handles each in its
own transaction with its inbox row and one effect row. Throughput = N / (first write → last effect).
floor path: the same writers, relay and consumer processes, tables, topology, prefetch and concurrency,
written with asyncpg and aio-pika alone (bench/bus_floor.py says what it leaves out).
raw path: N messages published by aio-pika with confirms in flight (batches of 500) to a quorum queue,
consumed by another process with prefetch 200 and acked. Throughput = N / (first publish → last ack).
CPU: utime + stime from /proc/<pid>/stat of the relay and consumer processes over the throughput run
(the writer: this process's CPU while writing), divided by N.
lag: events written at 200/s for 10 s, one per transaction; lag = effect written − event written
(occurred_at); p50/p99. The floor and kit run in the same invocation because this machine's figures
move by ±30 % from one hour to the next: compare within a run.

The last line printed is JSON: {"kit_events_per_s", "floor_events_per_s", "raw_msgs_per_s", "ratio_floor",
"lag_p99_ms", …}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid

import aio_pika
import asyncpg
import bus_floor

from contracts import Envelope
from kit import metrics, outbox, telemetry
from kit.bus import EventBus, declare_topology
from kit.db import Database, plain_dsn
from kit.settings import ServiceSettings
from kit.testing import RunEnvironment, find_servers, terminate
from kit.testing.sample import ThingHappened, consumers, create_tables

WRITERS = 8
#: ``--py-spy DIR``: py-spy records the relay and the consumer of each path during the throughput run into
#: DIR/<path>-<process>.txt (collapsed stacks: ``python bench/stacks.py FILE`` sums them up)
PROFILE_DIR: str | None = None
PY_SPY = shutil.which("py-spy") or os.path.expanduser("~/.local/bin/py-spy")
PER_TRANSACTION = 50


# -- child processes -----------------------------------------------------------------------------------------
async def kit_consumer() -> None:
    """The sample consumer set up as kit.service sets up a service's consumers: tracing (exporting nothing,
    the default), metrics, the instrumented engine and the bus's telemetry middleware."""
    settings = ServiceSettings()
    db = Database.from_settings(settings)
    middlewares: tuple = ()
    if "no-telemetry" not in os.environ.get("BENCH_KIT", ""):  # BENCH_KIT=no-telemetry: measure without
        provider = telemetry.setup_tracing(settings)
        metrics.setup_metrics(settings)
        telemetry.instrument_engine(db.engine, provider)
        middlewares = (telemetry.bus_middleware(provider),)
    bus = EventBus(settings, db, consumers, middlewares=middlewares)
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


def shares(total: int) -> list[range]:
    """The events of each of WRITERS writers, as ranges of sequence numbers."""
    sizes = [total // WRITERS + (1 if i < total % WRITERS else 0) for i in range(WRITERS)]
    return [range(sum(sizes[:i]), sum(sizes[: i + 1])) for i in range(WRITERS)]


async def paced(total: int, rate: float, write_one) -> None:  # noqa: ANN001
    interval = 1.0 / rate
    start = time.perf_counter()
    for i in range(total):
        await write_one(i)
        delay = start + (i + 1) * interval - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)


async def kit_write(db: Database, total: int, *, rate: float | None = None) -> None:
    """``total`` events by WRITERS concurrent writers; paced at ``rate`` events/s when given (1 per txn)."""
    if rate:
        async def one(i: int) -> None:
            async with db.transaction() as session:
                await outbox.add(session, ThingHappened(thing_id=uuid.uuid4(), seq=i, note="lag"))
        return await paced(total, rate, one)

    async def writer(seqs: range) -> None:
        for start in range(seqs.start, seqs.stop, PER_TRANSACTION):
            async with db.transaction() as session:
                for seq in range(start, min(start + PER_TRANSACTION, seqs.stop)):
                    await outbox.add(session, ThingHappened(thing_id=uuid.uuid4(), seq=seq, note="throughput"))

    await asyncio.gather(*(writer(seqs) for seqs in shares(total)))


async def floor_write(pool: asyncpg.Pool, total: int, *, rate: float | None = None) -> None:
    if rate:
        async def one(i: int) -> None:
            async with pool.acquire() as conn:
                await bus_floor.write(conn, [(i, "lag")])
        return await paced(total, rate, one)

    async def writer(seqs: range) -> None:
        async with pool.acquire() as conn:
            for start in range(seqs.start, seqs.stop, PER_TRANSACTION):
                await bus_floor.write(conn, [(seq, "throughput") for seq in range(start, min(start + PER_TRANSACTION, seqs.stop))])

    await asyncio.gather(*(writer(seqs) for seqs in shares(total)))


async def wait_effects(conn: asyncpg.Connection, target: int, timeout: float = 600) -> float:
    deadline = time.time() + timeout
    while (count := await count_effects(conn)) < target:
        if time.time() > deadline:
            raise SystemExit(f"only {count} of {target} effects after {timeout} s")
        await asyncio.sleep(0.01)
    return time.time()


LAG = """SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max
         FROM (SELECT extract(epoch FROM e.recorded_at - (o.body->>'occurred_at')::timestamptz) * 1000 AS ms
               FROM effects e JOIN outbox o ON o.event_id = e.event_id) AS lags"""


async def measure(name: str, write, conn: asyncpg.Connection, processes: dict[str, subprocess.Popen],  # noqa: ANN001
                  events: int, lag_seconds: float) -> dict[str, float]:
    """Warm up, then the throughput run (with CPU per event of each process) and the paced lag run."""
    await write(200)  # warm up connections, queues and caches
    await wait_effects(conn, 200)
    await conn.execute("TRUNCATE effects")

    spies = [subprocess.Popen([PY_SPY, "record", "--pid", str(p.pid), "--format", "raw", "--nonblocking",
                               "-o", os.path.join(PROFILE_DIR, f"{name}-{kind}.txt")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for kind, p in processes.items()] if PROFILE_DIR else []
    cpu = {kind: bus_floor.cpu_seconds(p.pid) for kind, p in processes.items()}
    writer_cpu = time.process_time()
    started = time.time()
    await write(events)
    written = time.time()
    writer_cpu = time.process_time() - writer_cpu
    finished = await wait_effects(conn, events)
    cpu = {kind: (bus_floor.cpu_seconds(p.pid) - cpu[kind]) * 1000 / events for kind, p in processes.items()}
    cpu["writer"] = writer_cpu * 1000 / events
    for spy in spies:
        spy.send_signal(signal.SIGINT)
        spy.wait()

    await conn.execute("TRUNCATE effects")
    lag_events = int(200 * lag_seconds)
    await write(lag_events, rate=200)
    await wait_effects(conn, lag_events)
    lag = await conn.fetchrow(LAG)
    return {"events_per_s": events / (finished - started), "write_s": written - started,
            "cpu_ms": cpu, "lag_p50_ms": lag["p50"], "lag_p99_ms": lag["p99"], "lag_max_ms": lag["max"]}


def bench_settings(env: RunEnvironment, service: str) -> ServiceSettings:
    settings = env.settings(ServiceSettings, service_name=service, prefetch=200, consumer_concurrency=32,
                            database_pool_size=40, relay_batch_size=500)
    env.track_queues([settings.queue_name("things")])
    return settings


async def kit_path(env: RunEnvironment, events: int, lag_seconds: float) -> dict[str, float]:
    settings = bench_settings(env, "benchbus")
    await create_tables(settings.database_url)
    child_env = env.env(settings, prefix="")
    consumer = spawn(["bench/bus.py", "kit-consumer"], child_env)
    relay = subprocess.Popen([sys.executable, "-m", "kit.testing.relay_process"], env=child_env,
                             stderr=subprocess.DEVNULL)
    db = Database(settings.database_url, pool_size=WRITERS + 2)
    conn = await asyncpg.connect(plain_dsn(settings.database_url))
    try:
        return await measure("kit", lambda n, rate=None: kit_write(db, n, rate=rate), conn,
                             {"relay": relay, "consumer": consumer}, events, lag_seconds)
    finally:
        await conn.close()
        await db.dispose()
        terminate(relay, consumer)


async def floor_path(env: RunEnvironment, events: int, lag_seconds: float) -> dict[str, float]:
    settings = bench_settings(env, "benchfloor")
    await create_tables(settings.database_url)
    queue = settings.queue_name("things")
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection, connection.channel() as channel:
        await declare_topology(channel, settings, {queue: [ThingHappened.type_name()]})
    dsn = plain_dsn(settings.database_url)
    consumer = spawn(["bench/bus.py", "floor-consumer", dsn, settings.amqp_url, queue, "benchfloor.things"],
                     dict(os.environ))
    relay = spawn(["bench/bus.py", "floor-relay", dsn, settings.amqp_url, settings.exchange], dict(os.environ))
    pool = await asyncpg.create_pool(dsn, min_size=WRITERS, max_size=WRITERS)
    conn = await asyncpg.connect(dsn)
    try:
        return await measure("floor", lambda n, rate=None: floor_write(pool, n, rate=rate), conn,
                             {"relay": relay, "consumer": consumer}, events, lag_seconds)
    finally:
        await conn.close()
        await pool.close()
        terminate(relay, consumer)


async def raw_path(env: RunEnvironment, events: int) -> dict[str, float]:
    queue_name = f"{env.queue_prefix}bench.raw"
    env.queues.add(queue_name)
    consumer = spawn(["bench/bus.py", "raw-consumer", env.servers.amqp_url, queue_name, str(events)], dict(os.environ))
    connection = await aio_pika.connect(env.servers.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        body = ThingHappened(thing_id=uuid.uuid4(), note="raw").model_dump_json().encode()
        cpu = bus_floor.cpu_seconds(consumer.pid)
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
        return {"events_per_s": events / (finished - started),
                "cpu_ms": {"consumer": (bus_floor.cpu_seconds(consumer.pid) - cpu) * 1000 / events}}
    finally:
        await connection.close()
        terminate(consumer)


async def prefill(settings: ServiceSettings, queue: str, events: int) -> None:
    """``events`` envelopes as the relay publishes them, straight into ``queue`` (declared with its DLQ)."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await declare_topology(channel, settings, {queue: [ThingHappened.type_name()]})
        for start in range(0, events, 500):
            await asyncio.gather(*(
                channel.default_exchange.publish(aio_pika.Message(
                    Envelope.wrap(ThingHappened(thing_id=uuid.uuid4(), seq=seq, note="alone")).model_dump_json().encode(),
                    content_type="application/json", delivery_mode=aio_pika.DeliveryMode.PERSISTENT), queue)
                for seq in range(start, min(start + 500, events))))


async def consumer_alone(env: RunEnvironment, kind: str, events: int) -> dict[str, float]:
    """One consumer process draining a queue filled beforehand: its throughput and CPU with nothing else
    of the path running (no writer, no relay)."""
    settings = bench_settings(env, "alone" + kind.replace("+", ""))
    await create_tables(settings.database_url)
    queue = settings.queue_name("things")
    await prefill(settings, queue, events)
    dsn = plain_dsn(settings.database_url)
    conn = await asyncpg.connect(dsn)
    if kind == "kit":
        consumer = spawn(["bench/bus.py", "kit-consumer"], env.env(settings, prefix=""))
    elif kind == "floor+sqlalchemy":
        consumer = spawn(["bench/bus.py", "floor-consumer", settings.database_url, settings.amqp_url, queue,
                          "alone.things", "--sqlalchemy"], dict(os.environ))
    else:
        consumer = spawn(["bench/bus.py", "floor-consumer", dsn, settings.amqp_url, queue, "alone.things"], dict(os.environ))
    spy = (subprocess.Popen([PY_SPY, "record", "--pid", str(consumer.pid), "--format", "raw", "--nonblocking",
                             "-o", os.path.join(PROFILE_DIR, f"alone-{kind}-consumer.txt")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) if PROFILE_DIR else None)
    try:
        cpu, started = bus_floor.cpu_seconds(consumer.pid), time.time()
        finished = await wait_effects(conn, events)
        cpu = bus_floor.cpu_seconds(consumer.pid) - cpu
        return {"events_per_s": events / (finished - started), "cpu_ms": cpu * 1000 / events}
    finally:
        if spy:
            spy.send_signal(signal.SIGINT)
            spy.wait()
        await conn.close()
        terminate(consumer)


KINDS = os.environ.get("BENCH_KINDS", "floor,floor+sqlalchemy,kit").split(",")


async def consumers_alone(events: int) -> None:
    env = RunEnvironment(find_servers(), "b" + uuid.uuid4().hex[:8])
    try:
        results = {kind: await consumer_alone(env, kind, events) for kind in KINDS}
    finally:
        await env.cleanup()
    print(f"\nconsumer alone, {events} messages waiting in its queue")
    for kind, result in results.items():
        print(f"{kind:<18}{result['events_per_s']:>10.0f} events/s{result['cpu_ms']:>8.3f} CPU ms per event")
    print(json.dumps({f"{kind.replace('+', '_')}_{key}": round(value, 3) for kind, result in results.items() for key, value in result.items()}))


async def bench(events: int, lag_seconds: float) -> None:
    env = RunEnvironment(find_servers(), "b" + uuid.uuid4().hex[:8])
    try:
        raw = await raw_path(env, events)
        floor = await floor_path(env, events, lag_seconds)
        kit = await kit_path(env, events, lag_seconds)
    finally:
        await env.cleanup()
    ratio_floor = kit["events_per_s"] / floor["events_per_s"]
    ratio_raw = kit["events_per_s"] / raw["events_per_s"]
    paths = [("kit: outbox → relay → inbox", kit), ("floor: same guarantees by hand", floor),
             ("raw aio-pika (confirms, quorum)", raw)]
    cpu = lambda path, kind: f"{path['cpu_ms'][kind]:.2f}" if kind in path["cpu_ms"] else "-"  # noqa: E731
    print(f"\n{events} events; CPU ms per event from /proc/<pid>/stat (writer: this process while writing)")
    print(f"{'path':<34}{'events/s':>10}{'writer':>9}{'relay':>9}{'consumer':>10}{'lag p50':>10}{'lag p99':>10}")
    for title, path in paths:
        lag = (f"{path['lag_p50_ms']:>10.1f}{path['lag_p99_ms']:>10.1f}" if "lag_p50_ms" in path else f"{'-':>10}{'-':>10}")
        print(f"{title:<34}{path['events_per_s']:>10.0f}{cpu(path, 'writer'):>9}{cpu(path, 'relay'):>9}"
              f"{cpu(path, 'consumer'):>10}{lag}")
    print(f"kit / floor {ratio_floor:.2f} (target ≥ 0.7); kit / raw {ratio_raw:.2f}")
    print(f"kit's lag at 200 events/s: p50 {kit['lag_p50_ms']:.1f} ms, p99 {kit['lag_p99_ms']:.1f} ms, "
          f"max {kit['lag_max_ms']:.1f} ms (target p99 ≤ 100 ms)\n")
    print(json.dumps({"kit_events_per_s": round(kit["events_per_s"], 1), "floor_events_per_s": round(floor["events_per_s"], 1),
                      "raw_msgs_per_s": round(raw["events_per_s"], 1), "ratio_floor": round(ratio_floor, 3),
                      "ratio_raw": round(ratio_raw, 3), "lag_p50_ms": round(kit["lag_p50_ms"], 1),
                      "lag_p99_ms": round(kit["lag_p99_ms"], 1), "floor_lag_p99_ms": round(floor["lag_p99_ms"], 1),
                      "cpu_ms_per_event": {"kit": {k: round(v, 3) for k, v in kit["cpu_ms"].items()},
                                           "floor": {k: round(v, 3) for k, v in floor["cpu_ms"].items()}},
                      "events": events}))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="outbox → relay → inbox against the floor and raw aio-pika")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("kit-consumer")
    sub.add_parser("consumers", help="each consumer alone on a queue filled beforehand (CPU per message)")
    raw = sub.add_parser("raw-consumer")
    raw.add_argument("amqp_url")
    raw.add_argument("queue")
    raw.add_argument("count", type=int)
    floor_relay = sub.add_parser("floor-relay")
    for arg in ("dsn", "amqp_url", "exchange"):
        floor_relay.add_argument(arg)
    floor_consumer = sub.add_parser("floor-consumer")
    for arg in ("dsn", "amqp_url", "queue", "name"):
        floor_consumer.add_argument(arg)
    floor_consumer.add_argument("--sqlalchemy", action="store_true", help="the transaction through kit.db")
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--lag-seconds", type=float, default=10.0)
    parser.add_argument("--py-spy", metavar="DIR", help="profile relays and consumers with py-spy into DIR")
    args = parser.parse_args()
    if args.py_spy:
        os.makedirs(args.py_spy, exist_ok=True)
        PROFILE_DIR = args.py_spy
    if args.command == "kit-consumer":
        asyncio.run(kit_consumer())
    elif args.command == "raw-consumer":
        asyncio.run(raw_consumer(args.amqp_url, args.queue, args.count))
    elif args.command == "consumers":
        asyncio.run(consumers_alone(args.events))
    elif args.command == "floor-relay":
        asyncio.run(bus_floor.relay(args.dsn, args.amqp_url, args.exchange))
    elif args.command == "floor-consumer":
        asyncio.run((bus_floor.consumer_on_sqlalchemy if args.sqlalchemy else bus_floor.consumer)(
            args.dsn, args.amqp_url, args.queue, args.name))
    else:
        asyncio.run(bench(args.events, args.lag_seconds))
