"""The outbox relay: publishes committed outbox rows to RabbitMQ and marks them sent after the confirm.

How it works
- One relay per database publishes at a time: it holds a PostgreSQL advisory lock on its listening
  connection; other replicas wait as hot standbys and take over when that connection dies. One active
  publisher on one channel keeps per-aggregate (indeed global) order in the normal case.
- Rows are claimed in id order with ``FOR UPDATE SKIP LOCKED`` inside a transaction that stays open while
  the batch is published, so nothing else can claim them meanwhile.
- A batch is published concurrently: every message persistent and mandatory, ``message_id = event_id``,
  with publisher confirms kept in flight; a row is marked sent only once its confirm arrived. A returned
  (unroutable) message is marked sent with ``unroutable = true``: no queue wanted it.
- The relay wakes on ``NOTIFY kit_outbox`` (a statement trigger on the outbox) and polls as a fallback.
- Any failure (broker down, connection closed, database away) tears the connections down and retries
  with exponential back-off (tenacity). A crash between publish and mark re-publishes: delivery is at
  least once and consumers deduplicate with the inbox.
- ``role`` says what it is doing: ``starting``, ``standby`` (connected, waiting for the lock), ``active``
  (publishing) or ``retrying`` (back-off after a failure); with ``<SERVICE>_RELAY_HEALTH_PORT`` set,
  :func:`serve_health` answers ``GET /health/ready`` from it (200 for active and standby, else 503).
- An event class's ``secret_fields`` (an SMS code, a temporary password) are removed from the stored row in
  the same UPDATE that marks it sent: once the broker holds the message, the secret is not kept at rest.
  A row re-published after a crash before that UPDATE still has them; one marked sent never needs them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import aio_pika
import aiormq
import asyncpg
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_exponential

from contracts import event_registry
from kit.db import plain_dsn
from kit.schema import OUTBOX_CHANNEL
from kit.settings import ServiceSettings

log = logging.getLogger("kit.relay")

#: pg_advisory_lock key of "the active relay of this database" (ASCII of 'outbox!' as an integer).
RELAY_LOCK_KEY = 0x6F7574626F7821

_CLAIM = """
SELECT id, event_id, event_type, routing_key, body, headers, created_at
FROM outbox
WHERE published_at IS NULL
ORDER BY id
LIMIT $1
FOR UPDATE SKIP LOCKED
"""
_MARK = """
UPDATE outbox SET published_at = now(), unroutable = (id = ANY($2::bigint[])), attempts = attempts + 1,
    body = CASE WHEN $3::jsonb ? event_type
        THEN jsonb_set(body, '{payload}',
                       (body -> 'payload') - ARRAY(SELECT jsonb_array_elements_text($3::jsonb -> event_type)))
        ELSE body END
WHERE id = ANY($1::bigint[])
"""
_MARK_FAILED = "UPDATE outbox SET attempts = attempts + 1 WHERE id = ANY($1::bigint[])"


@dataclass(frozen=True)
class PublishedBatch:
    count: int
    unroutable: int
    oldest_created_at: datetime | None


class OutboxRelay:
    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.dsn = plain_dsn(settings.session_database_url)  # LISTEN and an advisory lock: past any pooler
        self._wake = asyncio.Event()
        self.published_total = 0
        self.is_leader = False
        #: starting | standby | active | retrying (see the module docstring)
        self.role = "starting"

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Publish until ``stop`` is set (or forever), surviving broker and database outages."""
        stop = stop or asyncio.Event()
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=0.1, min=0.1, max=5),
            retry=retry_if_exception_type(Exception),
            before_sleep=self._retrying,
        )
        async for attempt in retrying:
            with attempt:
                await self._session(stop)
            if stop.is_set():
                return

    def _retrying(self, state: RetryCallState) -> None:
        self.role = "retrying"  # also when the first connection already failed
        log.warning("outbox relay: %r; retrying in %.1fs", state.outcome.exception(), state.next_action.sleep)

    async def _session(self, stop: asyncio.Event) -> None:
        """One connected lifetime: lock, listen, publish until stopped or something breaks."""
        listener = await asyncpg.connect(self.dsn)
        worker: asyncpg.Connection | None = None
        connection: aio_pika.abc.AbstractConnection | None = None
        try:
            self.role = "standby"
            await self._become_leader(listener, stop)
            if stop.is_set():
                return
            await listener.add_listener(OUTBOX_CHANNEL, lambda *_: self._wake.set())
            worker = await asyncpg.connect(self.dsn)
            connection = await aio_pika.connect(self.settings.amqp_url)
            channel = await connection.channel(publisher_confirms=True, on_return_raises=False)
            exchange = await channel.declare_exchange(
                self.settings.exchange, aio_pika.ExchangeType.TOPIC, durable=True
            )
            self.role = "active"
            log.info("outbox relay for %s is active", self.settings.service_name)
            while not stop.is_set():
                if connection.is_closed or listener.is_closed():
                    raise ConnectionError("connection lost")
                batch = await self.publish_batch(worker, exchange)
                if batch.count >= self.settings.relay_batch_size:
                    continue  # more waiting: drain without sleeping
                self._wake.clear()
                await _wait_any(self._wake, stop, timeout=self.settings.relay_poll_interval_s)
        finally:
            self.is_leader = False
            self.role = "retrying"
            for closer in (
                connection.close() if connection else None,
                worker.close(timeout=2) if worker else None,
                listener.close(timeout=2),
            ):
                if closer is not None:
                    try:
                        await closer
                    except Exception:  # noqa: BLE001 - already broken; nothing more to do
                        pass

    async def _become_leader(self, listener: asyncpg.Connection, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if await listener.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK_KEY):
                self.is_leader = True
                return
            await _wait_any(stop, timeout=self.settings.relay_poll_interval_s)

    async def publish_batch(
        self, worker: asyncpg.Connection, exchange: aio_pika.abc.AbstractExchange
    ) -> PublishedBatch:
        async with worker.transaction():
            rows = await worker.fetch(_CLAIM, self.settings.relay_batch_size)
            if not rows:
                return PublishedBatch(0, 0, None)
            results = await asyncio.gather(
                *(self._publish(exchange, row) for row in rows), return_exceptions=True
            )
            confirmed, returned, failed = _sort_results(rows, results)
            if confirmed:
                await worker.execute(_MARK, confirmed, returned, json.dumps(_secret_fields()))
            if failed:
                await worker.execute(_MARK_FAILED, [row_id for row_id, _ in failed])
        self.published_total += len(confirmed)
        if returned:
            log.info("outbox relay: %d event(s) had no queue bound (no consumer wants them yet)", len(returned))
        if failed:
            raise failed[0][1]
        return PublishedBatch(len(confirmed), len(returned), rows[0]["created_at"])

    async def _publish(self, exchange: aio_pika.abc.AbstractExchange, row: asyncpg.Record) -> object:
        envelope = json.loads(row["body"])
        headers = json.loads(row["headers"]) if row["headers"] else {}
        message = aio_pika.Message(
            body=row["body"].encode(),
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=str(row["event_id"]),
            correlation_id=envelope.get("correlation_id"),
            type=row["event_type"],
            app_id=envelope.get("producer"),
            headers=headers,
        )
        log.debug("publishing %s %s", row["routing_key"], row["event_id"])
        return await exchange.publish(
            message, row["routing_key"], mandatory=True, timeout=self.settings.relay_confirm_timeout_s
        )


async def serve_health(relay: OutboxRelay, host: str, port: int, stop: asyncio.Event) -> None:
    """A minimal HTTP endpoint for the relay's readiness probe until ``stop``: any request is answered with
    the relay's role, 200 while it is connected (``active`` or ``standby``), 503 otherwise. The relay has
    no other HTTP, so no web framework for it."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
            ok = relay.role in ("active", "standby")
            body = json.dumps({"status": "ready" if ok else "not ready", "service": relay.settings.service_name,
                               "role": relay.role, "published": relay.published_total}).encode()
            writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                         b"Connection: close\r\n\r\n%s" % (200 if ok else 503, b"OK" if ok else b"Service Unavailable",
                                                              len(body), body))
            await writer.drain()
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, host, port)
    async with server:
        await stop.wait()


def _secret_fields() -> dict[str, list[str]]:
    """Event type -> its payload fields to remove once sent, for every event class that declares some."""
    return {name: list(cls.secret_fields) for name, cls in event_registry().items() if cls.secret_fields}


def _sort_results(
    rows: Sequence[asyncpg.Record], results: Sequence[object]
) -> tuple[list[int], list[int], list[tuple[int, BaseException]]]:
    confirmed: list[int] = []
    returned: list[int] = []
    failed: list[tuple[int, BaseException]] = []
    for row, result in zip(rows, results, strict=True):
        if isinstance(result, BaseException):
            failed.append((row["id"], result))
        elif isinstance(result, aiormq.abc.DeliveredMessage):  # Basic.Return: no queue bound
            confirmed.append(row["id"])
            returned.append(row["id"])
        else:
            confirmed.append(row["id"])
    return confirmed, returned, failed


async def _wait_any(*events: asyncio.Event, timeout: float) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
