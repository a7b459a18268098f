"""Idempotent consumers and dead letters, through a running sample service (real PostgreSQL and RabbitMQ)."""

from __future__ import annotations

import uuid

import aio_pika

from contracts import Envelope
from kit import outbox
from kit.testing import fetch, probe, wait_for
from kit.testing.sample import ThingHappened

KEY = ThingHappened.type_name()


async def publish_raw(test_env, body: bytes, *, message_id: str | None = None, routing_key: str = KEY) -> None:
    connection = await aio_pika.connect(test_env.servers.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(test_env.exchange)
        await exchange.publish(
            aio_pika.Message(body, message_id=message_id, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key,
        )


def envelope_of(note: str) -> Envelope:
    return Envelope.wrap(ThingHappened(thing_id=uuid.uuid4(), note=note))


async def effects_for(settings, envelope: Envelope) -> list:
    return await fetch(settings, "SELECT note FROM effects WHERE event_id = $1", envelope.event_id)


async def test_event_from_the_outbox_is_consumed_once(kit_service):
    db = kit_service.app.state.db
    async with db.transaction() as session:
        envelope = await outbox.add(session, ThingHappened(thing_id=uuid.uuid4(), note="via outbox"))
    rows = await wait_for(lambda: effects_for(kit_service.settings, envelope), what="the effect")
    assert [r["note"] for r in rows] == ["via outbox"]


async def test_same_event_delivered_twice_has_one_effect(test_env, kit_service):
    envelope = envelope_of("twice")
    body = envelope.model_dump_json().encode()
    await publish_raw(test_env, body, message_id=str(envelope.event_id))
    await publish_raw(test_env, body, message_id=str(envelope.event_id))
    marker = envelope_of("after the duplicate")
    await publish_raw(test_env, marker.model_dump_json().encode())

    await wait_for(lambda: effects_for(kit_service.settings, marker), what="the marker's effect")
    # both copies have been acked once the queue is empty and nothing is in flight
    await wait_for(lambda: _queue_idle(test_env, kit_service.settings), what="the queue to drain")
    assert len(await effects_for(kit_service.settings, envelope)) == 1
    inbox = await fetch(kit_service.settings, "SELECT consumer FROM inbox WHERE event_id = $1", envelope.event_id)
    assert [r["consumer"] for r in inbox] == ["kittest.things"]


async def test_poison_message_reaches_the_dlq_while_good_messages_flow(test_env, kit_service):
    settings = kit_service.settings
    dlq = f"{settings.queue_name('things')}.dlq"
    async with probe(test_env, queue=dlq) as dead:
        poison = envelope_of("poison")
        await publish_raw(test_env, poison.model_dump_json().encode(), message_id=str(poison.event_id))
        good = [envelope_of(f"good {i}") for i in range(20)]
        for envelope in good:
            await publish_raw(test_env, envelope.model_dump_json().encode())

        message = await dead.next(timeout=20)
        assert message.message_id == str(poison.event_id)
        reason = message.headers["x-dead-letter-reason"]
        assert f"failed {settings.delivery_limit} times" in reason and "always fails" in reason
        for envelope in good:
            assert await wait_for(lambda e=envelope: effects_for(settings, e), what="good messages")
    assert await effects_for(settings, poison) == []


async def test_malformed_and_unknown_messages_go_straight_to_the_dlq(test_env, kit_service):
    dlq = f"{kit_service.settings.queue_name('things')}.dlq"
    async with probe(test_env, queue=dlq) as dead:
        await publish_raw(test_env, b"{not json", message_id="malformed-1")
        message = await dead.next()
        assert message.message_id == "malformed-1"
        assert message.headers["x-dead-letter-reason"].startswith("malformed envelope")
        assert "x-delivery-count" not in (message.headers or {})  # first delivery, no retries

        bad_payload = envelope_of("x").model_copy(update={"payload": {"thing_id": "not-a-uuid"}})
        await publish_raw(test_env, bad_payload.model_dump_json().encode(), message_id="bad-payload")
        message = await dead.next()
        assert message.headers["x-dead-letter-reason"].startswith(f"invalid {KEY} payload: thing_id")

        hopeless = envelope_of("hopeless")
        await publish_raw(test_env, hopeless.model_dump_json().encode(), message_id="hopeless")
        message = await dead.next()
        assert message.headers["x-dead-letter-reason"] == "permanent failure: nothing can be done with it"


async def test_readiness_reports_database_broker_consumers_and_keys(kit_service):
    response = await kit_service.client.get("/health/ready")
    assert response.json()["checks"] == {"database": True, "broker": True, "consumers": True, "keys": True}
    assert response.status_code == 200
    assert (await kit_service.client.get("/health/live")).json() == {"status": "ok"}


async def _queue_idle(test_env, settings) -> bool:
    connection = await aio_pika.connect(test_env.servers.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(settings.queue_name("things"), passive=True)
        return queue.declaration_result.message_count == 0


async def test_a_database_outage_does_not_spend_the_deliveries(test_env, kit_service):
    """The handler's connection is dropped more times than the delivery limit (a PostgreSQL restart, found
    by `make chaos`): the message waits for the database instead of reaching the DLQ, and is handled once."""
    settings = kit_service.settings
    envelope = envelope_of(f"connection lost {settings.delivery_limit + 2}")
    await publish_raw(test_env, envelope.model_dump_json().encode(), message_id=str(envelope.event_id))
    rows = await wait_for(lambda: effects_for(settings, envelope), timeout=30, what="the effect after the outage")
    assert [r["note"] for r in rows] == [envelope.payload["note"]]
    connection = await aio_pika.connect(test_env.servers.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(f"{settings.queue_name('things')}.dlq", passive=True)
        assert queue.declaration_result.message_count == 0
