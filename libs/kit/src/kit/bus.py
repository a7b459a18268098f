"""The event bus: broker factory, topology and the consumer wrapper every subscriber goes through.

Topology (declared by ``declare_topology``, idempotent)
- one durable topic exchange (``events``); routing key = the event type, ``<producer>.<event>.v<major>``;
- every consumer owns quorum queues ``<service>.<purpose>`` with an explicit ``x-delivery-limit``
  (RabbitMQ 3.x has none, 4.x defaults to 20: ours is said explicitly) dead-lettering into ``<service>.<purpose>.dlq``;
- a queue is bound to exactly the event types its handlers take.

A message's way through ``Consumers`` (one FastStream subscriber per queue, bounded prefetch):
1. the envelope and payload are parsed; malformed, unknown or invalid → straight to the DLQ with a reason;
2. in one database transaction: the inbox row (consumer, event_id) and the handler's effects; a
   duplicate delivery finds the row and does nothing;
3. ack after commit. An exception → requeued after a short back-off, until the delivery limit is near;
   then dead-lettered with the error as the reason. ``Permanent`` dead-letters at once. The database being
   away (``kit.db.database_unavailable``) is waited out first (up to a minute), without spending a delivery.
Per-message logging is at DEBUG: INFO per message costs throughput.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import aio_pika
from faststream.middlewares import AckPolicy
from faststream.rabbit import Channel, QueueType, RabbitBroker, RabbitMessage, RabbitQueue
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Envelope, Event
from kit import context, inbox
from kit.db import Database, database_unavailable
from kit.metrics import BusMetrics
from kit.settings import ServiceSettings

log = logging.getLogger("kit.bus")
#: How long a message waits for the database to come back before its delivery counts as failed
DATABASE_OUTAGE_WAIT_S = 60.0

E = TypeVar("E", bound=Event)
Handler = Callable[[AsyncSession, Any, Envelope], Awaitable[None]]


class Permanent(Exception):
    """Raised by a handler when retrying cannot help: the message goes to the DLQ at once, with this reason."""


@dataclass(frozen=True)
class Route(Generic[E]):
    event: type[E]
    handler: Handler


@dataclass
class QueueSpec:
    purpose: str
    routes: dict[str, Route[Any]] = field(default_factory=dict)


def queue_arguments(settings: ServiceSettings, dlq_name: str) -> dict[str, Any]:
    return {
        "x-queue-type": "quorum",
        "x-delivery-limit": settings.delivery_limit,
        "x-dead-letter-exchange": "",
        "x-dead-letter-routing-key": dlq_name,
    }


async def declare_topology(
    channel: aio_pika.abc.AbstractChannel,
    settings: ServiceSettings,
    bindings: dict[str, list[str]],
) -> None:
    """Declare the exchange and, per queue name, the quorum queue, its DLQ and its routing-key bindings."""
    exchange = await channel.declare_exchange(settings.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    for queue_name, routing_keys in bindings.items():
        dlq = f"{queue_name}.dlq"
        await channel.declare_queue(dlq, durable=True, arguments={"x-queue-type": "quorum"})
        queue = await channel.declare_queue(
            queue_name, durable=True, arguments=queue_arguments(settings, dlq)
        )
        for key in routing_keys:
            await queue.bind(exchange, routing_key=key)


async def forward_events(settings: ServiceSettings, destination: str, event_types: list[type[Event]]) -> None:
    """Declare the durable topic exchange ``destination`` and bind it to the service's exchange for
    ``event_types``: those events (and only those) also reach whoever consumes ``destination`` — e.g.
    partner regions on ``partner.logistics`` — without a second publish. Idempotent."""
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        source = await channel.declare_exchange(settings.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        target = await channel.declare_exchange(destination, aio_pika.ExchangeType.TOPIC, durable=True)
        for event_type in event_types:
            await target.bind(source, routing_key=event_type.type_name())


def make_broker(settings: ServiceSettings, *, middlewares: tuple[Any, ...] = ()) -> RabbitBroker:
    return RabbitBroker(
        settings.amqp_url,
        default_channel=Channel(prefetch_count=settings.prefetch),
        app_id=settings.service_name,
        log_level=logging.DEBUG,
        graceful_timeout=15.0,
        middlewares=middlewares,
        fail_fast=True,
        # Handlers take the raw message and validate contracts themselves: no dependency injection per message.
        apply_types=False,
    )


class Consumers:
    """The event handlers of one service, grouped into queues by purpose.

        consumers = Consumers()

        @consumers.on(ContactDetailsChanged, queue="recipients")
        async def remember_contact(session, event, envelope): ...

    Handlers get the open session of the transaction that also records the inbox row; they never commit.
    """

    def __init__(self) -> None:
        self.queues: dict[str, QueueSpec] = {}

    def on(self, event: type[E], *, queue: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            spec = self.queues.setdefault(queue, QueueSpec(queue))
            key = event.type_name()
            if key in spec.routes:
                raise ValueError(f"queue {queue} already has a handler for {key}")
            spec.routes[key] = Route(event, handler)
            return handler

        return register

    def bindings(self, settings: ServiceSettings) -> dict[str, list[str]]:
        return {settings.queue_name(p): sorted(spec.routes) for p, spec in self.queues.items()}


class EventBus:
    """One service's connection to RabbitMQ: declares topology, runs its consumers, reports readiness."""

    def __init__(
        self,
        settings: ServiceSettings,
        db: Database,
        consumers: Consumers | None = None,
        *,
        middlewares: tuple[Any, ...] = (),
        state: Any = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.state = state
        self.metrics = BusMetrics(settings.service_name)
        self._slots = asyncio.Semaphore(settings.consumer_concurrency)
        self.consumers = consumers or Consumers()
        self.broker = make_broker(settings, middlewares=middlewares)
        # Subscriber objects stay referenced here for the life of the bus.
        self.subscribers: list[Any] = []
        for spec in self.consumers.queues.values():
            self.subscribers.append(self._subscribe(spec))

    def _subscribe(self, spec: QueueSpec) -> Any:
        settings = self.settings
        name = settings.queue_name(spec.purpose)
        queue = RabbitQueue(
            name,
            queue_type=QueueType.QUORUM,
            durable=True,
            arguments={k: v for k, v in queue_arguments(settings, f"{name}.dlq").items() if k != "x-queue-type"},
        )
        consumer = f"{settings.service_name}.{spec.purpose}"

        async def handle(body: bytes) -> None:
            await self._deliver(consumer, name, spec, self.broker.context.get_local("message"))

        handle.__name__ = f"consume_{spec.purpose}"
        handle.__doc__ = f"Events consumed into {consumer}: {', '.join(sorted(spec.routes))}"
        subscriber = self.broker.subscriber(queue, ack_policy=AckPolicy.MANUAL, title=name, decoder=_raw_body)
        subscriber(handle)
        return subscriber

    async def start(self) -> None:
        await self.broker.connect()
        bindings = self.consumers.bindings(self.settings)
        connection = await aio_pika.connect(self.settings.amqp_url)
        async with connection, connection.channel() as channel:
            await declare_topology(channel, self.settings, bindings)
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()

    async def ready(self) -> dict[str, bool]:
        checks = {"broker": False, "consumers": False}
        try:
            checks["broker"] = bool(await self.broker.ping(timeout=2.0))
        except Exception:  # noqa: BLE001
            checks["broker"] = False
        checks["consumers"] = all(_is_consuming(s) for s in self.subscribers)
        return checks

    async def _deliver(self, consumer: str, queue: str, spec: QueueSpec, message: RabbitMessage) -> None:
        raw = message.raw_message
        log.debug("received %s on %s (%s)", raw.routing_key, queue, raw.message_id)
        try:
            envelope = Envelope.model_validate_json(message.body)
        except ValidationError as exc:
            return await self._dead_letter(message, queue, f"malformed envelope: {_first_error(exc)}")
        route = spec.routes.get(envelope.event_type)
        if route is None:
            return await self._dead_letter(message, queue, f"no handler for {envelope.event_type} on {queue}")
        try:
            event = route.event.model_validate(envelope.payload)
        except ValidationError as exc:
            return await self._dead_letter(
                message, queue, f"invalid {envelope.event_type} payload: {_first_error(exc)}"
            )

        tokens = (
            context.correlation_id.set(envelope.correlation_id or envelope.event_id),
            context.causation_id.set(envelope.event_id),
            context.app_state.set(self.state),
        )
        started = time.perf_counter()
        outcome = "handled"
        loop = asyncio.get_running_loop()
        # While the database is away (a restart, no connection to be had) the message waits here instead of
        # spending its deliveries: a restart of a few seconds would otherwise dead-letter whatever arrived
        waiting_until, pause = loop.time() + DATABASE_OUTAGE_WAIT_S, 0.25
        try:
            while True:
                try:
                    async with self._slots, self.db.transaction() as session:
                        if await inbox.claim(session, consumer, envelope):
                            await route.handler(session, event, envelope)
                        else:
                            outcome = "duplicate"
                            log.debug("duplicate %s for %s ignored", envelope.event_id, consumer)
                    break
                except Permanent:
                    raise
                except Exception as exc:
                    if not database_unavailable(exc) or loop.time() > waiting_until:
                        raise
                    log.warning("database unavailable for %s (%r); waiting %.2fs", envelope.event_type, exc, pause)
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, 5.0)
        except Permanent as exc:
            return await self._dead_letter(message, queue, f"permanent failure: {exc}")
        except Exception as exc:  # noqa: BLE001 - any other failure is retried, then dead-lettered
            deliveries = int((raw.headers or {}).get("x-delivery-count", 0) or 0) + 1
            if deliveries >= self.settings.delivery_limit:
                log.error("giving up on %s after %d deliveries: %r", envelope.event_id, deliveries, exc)
                return await self._dead_letter(message, queue, f"failed {deliveries} times: {exc!r}")
            log.warning("handler for %s failed (delivery %d): %r", envelope.event_type, deliveries, exc)
            self.metrics.record(queue, "retried")
            await asyncio.sleep(min(0.05 * 2**deliveries, 2.0))
            await message.nack(requeue=True)
            return None
        finally:
            context.correlation_id.reset(tokens[0])
            context.causation_id.reset(tokens[1])
            context.app_state.reset(tokens[2])
        await message.ack()
        self.metrics.record(queue, outcome, time.perf_counter() - started)
        return None

    async def _dead_letter(self, message: RabbitMessage, queue: str, reason: str) -> None:
        """Move a message to its queue's DLQ with the reason in a header, then ack the original."""
        raw = message.raw_message
        log.warning("dead-lettering %s from %s: %s", raw.message_id, queue, reason)
        self.metrics.record(queue, "dead_lettered")
        headers = dict(raw.headers or {})
        headers.update({"x-dead-letter-reason": reason[:1000], "x-original-routing-key": raw.routing_key or ""})
        await self.broker.publish(
            message.body,
            queue=f"{queue}.dlq",
            headers=headers,
            message_id=raw.message_id,
            correlation_id=raw.correlation_id,
            content_type=raw.content_type,
            # the properties a replay (kit.dlq) publishes again: the event type, its time
            message_type=raw.type,
            timestamp=raw.timestamp,
            content_encoding=raw.content_encoding,
            persist=True,
        )
        await message.ack()


async def _raw_body(message: RabbitMessage) -> bytes:
    """The body as it arrived: parsing and validation happen in ``_deliver``, so a malformed message
    reaches the dead-letter queue with a reason instead of failing inside the framework."""
    return message.body


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "body"
    return f"{where}: {err.get('msg')}"


def _is_consuming(subscriber: Any) -> bool:
    queue = getattr(subscriber, "_queue_obj", None)
    return bool(
        getattr(subscriber, "running", False)
        and queue is not None
        and not queue.channel.is_closed
        and getattr(subscriber, "_consumer_tag", None)
    )
