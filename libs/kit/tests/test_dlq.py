"""kit.dlq through the services' own command line (``python -m <service> dlq list|replay``): a message that
failed until its cause was fixed is replayed from the DLQ and then handled once (real RabbitMQ and
PostgreSQL, the sample service of kit.testing.sample)."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import aio_pika
import pytest

from contracts import Envelope
from kit.service import Service
from kit.testing import fetch, probe, wait_for
from kit.testing.sample import ThingHappened, consumers, repaired


async def waiting_on(test_env, queue: str) -> int:
    connection = await aio_pika.connect(test_env.servers.amqp_url)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        return declared.declaration_result.message_count or 0


async def publish(test_env, envelope: Envelope, **headers) -> None:
    connection = await aio_pika.connect(test_env.servers.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(test_env.exchange)
        await exchange.publish(aio_pika.Message(
            envelope.model_dump_json().encode(), message_id=str(envelope.event_id), type=envelope.event_type,
            headers=headers, correlation_id=str(envelope.correlation_id or envelope.event_id),
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT), ThingHappened.type_name())


async def command(kit_service, capsys, *argv: str) -> tuple[int, str]:
    code, out, _ = await command_err(kit_service, capsys, *argv)
    return code, out


async def command_err(kit_service, capsys, *argv: str) -> tuple[int, str, str]:
    """``python -m kittest dlq …`` as the service's main() runs it (in a thread: it runs its own loop)."""
    cli = Service(kit_service.settings, root=Path(__file__).parent, consumers=consumers)
    try:
        await asyncio.to_thread(cli.main, ["dlq", *argv])
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_a_message_that_failed_is_replayed_from_the_dlq_once_fixed_and_handled_once(test_env, kit_service, capsys):
    settings = kit_service.settings
    dlq = f"{settings.queue_name('things')}.dlq"
    cause = uuid.uuid4().hex[:8]
    envelope = Envelope.wrap(ThingHappened(thing_id=uuid.uuid4(), note=f"broken:{cause}"))
    before = await waiting_on(test_env, dlq)
    await publish(test_env, envelope, traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
    await wait_for(lambda: _more(test_env, dlq, before), timeout=20, what="the message to be dead-lettered")

    code, out = await command(kit_service, capsys, "list", "--limit", "50")
    assert code == 0 and f"{dlq}: {before + 1} message(s)" in out
    assert str(envelope.event_id) in out and ThingHappened.type_name() in out and "not repaired yet" in out
    assert await waiting_on(test_env, dlq) == before + 1, "list takes nothing off the queue"

    repaired.add(cause)  # the cause is fixed (a deploy, a missing record)
    async with probe(test_env, ThingHappened.type_name()) as seen:  # what the queues bound to the key get
        code, out = await command(kit_service, capsys, "replay", "--limit", "50")
        again = [m for m in await seen.collect(before + 1) if m.message_id == str(envelope.event_id)][0]
    assert code == 0, out
    assert again.body == envelope.model_dump_json().encode() and again.type == ThingHappened.type_name()
    assert again.headers["traceparent"].startswith("00-0af7651916cd43dd") and again.headers["x-replayed"] == 1
    assert "x-dead-letter-reason" not in again.headers
    assert f"{dlq}: replayed {before + 1} to exchange {settings.exchange}" in out and "0 kept on the DLQ" in out

    rows = await wait_for(lambda: fetch(settings, "SELECT note FROM effects WHERE event_id = $1", envelope.event_id),
                          what="the replayed message's effect")
    assert [r["note"] for r in rows] == [f"broken:{cause}"]
    assert await waiting_on(test_env, dlq) == 0
    inbox = await fetch(settings, "SELECT consumer FROM inbox WHERE event_id = $1", envelope.event_id)
    assert [r["consumer"] for r in inbox] == ["kittest.things"]

    # replayed again (a second copy, as after a crash between publish and ack): the inbox makes it a no-op
    code, out = await command(kit_service, capsys, "replay")
    assert code == 0 and f"{dlq}: replayed 0" in out


async def test_replay_keeps_a_message_without_a_routing_key_and_says_so(test_env, kit_service, capsys):
    settings = kit_service.settings
    dlq = f"{settings.queue_name('things')}.dlq"
    connection = await aio_pika.connect(test_env.servers.amqp_url)
    async with connection:  # a message put on the DLQ by hand, with nothing saying where it came from
        channel = await connection.channel(publisher_confirms=True)
        await channel.default_exchange.publish(aio_pika.Message(b"{}", message_id="by-hand"), dlq)
    code, out = await command(kit_service, capsys, "replay", "--queue", dlq)
    assert code == 1 and "kept by-hand: no original routing key" in out
    assert await waiting_on(test_env, dlq) >= 1
    code, out = await command(kit_service, capsys, "list")
    assert "by-hand  (no routing key)" in out
    async with await aio_pika.connect(test_env.servers.amqp_url) as connection:
        await (await (await connection.channel()).declare_queue(dlq, passive=True)).purge()


@pytest.mark.parametrize("argv", [["replay", "--limit", "0"], ["replay", "--queue", "someone-elses.dlq"], ["wipe"]])
async def test_the_dlq_command_refuses_what_it_cannot_do(kit_service, capsys, argv):
    code, out, err = await command_err(kit_service, capsys, *argv)
    assert code == 2 and out == "" and "python -m kittest dlq" in err


async def _more(test_env, queue: str, before: int) -> bool:
    return await waiting_on(test_env, queue) > before
