"""Partner regions' way in (issue 21, point 3): the RabbitMQ permissions the production overlay gives a
region's user (the topology operator's Permission), applied to a real RabbitMQ in a virtual host of this
run. The region declares its own queue, binds it to `partner.logistics` and reads the forwarded logistics
events; it can neither bind to `events`, nor read or declare a service's queue, nor publish."""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
from pathlib import Path
from urllib.parse import quote, urlsplit

import aio_pika
import aiormq
import pytest

from kit.testing import wait_for

HERE = Path(__file__).resolve().parent


def deploy_values():
    import importlib.util

    spec = importlib.util.spec_from_file_location("deploy_values", HERE / "deploy_values.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def rabbitmqctl(*argv: str) -> None:
    binary = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    child = await asyncio.create_subprocess_exec(binary, *argv, stdout=asyncio.subprocess.PIPE,
                                                 stderr=asyncio.subprocess.STDOUT)
    out, _ = await child.communicate()
    assert child.returncode == 0, f"rabbitmqctl {' '.join(argv)}: {out.decode(errors='replace')}"


REFUSED = (aiormq.exceptions.ChannelAccessRefused, aio_pika.exceptions.ChannelClosed)


async def test_a_partner_region_reads_partner_logistics_and_nothing_else(test_env):
    objects = deploy_values().render("production")
    region = deploy_values().generator().PARTNER_REGIONS[0]
    (permission,) = [o["spec"] for o in objects if o["kind"] == "Permission" and o["metadata"]["name"] == f"partner-{region}"]
    (policy,) = [o["spec"] for o in objects if o["kind"] == "Policy" and o["metadata"]["name"] == f"partner-{region}"]
    (user,) = [o for o in objects if o["kind"] == "User" and o["metadata"]["name"] == f"partner-{region}"]
    assert user["spec"]["importCredentialsSecret"] == {"name": f"partner-{region}-credentials"}
    assert user["spec"]["tags"] == []  # no management access

    run = test_env.run_id
    vhost, partner, password = f"partner-{run}", f"partner-{region}-{run}", secrets.token_hex(16)
    admin_user = urlsplit(test_env.servers.amqp_url).username or "guest"
    amqp = urlsplit(test_env.servers.amqp_url)
    base = f"{amqp.hostname}:{amqp.port or 5672}/{quote(vhost, safe='')}"
    await asyncio.gather(rabbitmqctl("add_vhost", vhost), rabbitmqctl("add_user", partner, password))
    try:
        rights = permission["permissions"]
        await asyncio.gather(
            rabbitmqctl("set_permissions", "-p", vhost, admin_user, ".*", ".*", ".*"),
            rabbitmqctl("set_permissions", "-p", vhost, partner, rights["configure"], rights["write"], rights["read"]),
            rabbitmqctl("set_policy", "-p", vhost, "--apply-to", policy["applyTo"], "--priority", str(policy["priority"]),
                        policy["name"], policy["pattern"], json.dumps(policy["definition"])))
        # what logistics declares at start (kit.bus.forward_events): partner.logistics bound to events
        admin = await aio_pika.connect(f"amqp://{amqp.username or 'guest'}:{amqp.password or 'guest'}@{base}")
        async with admin:
            channel = await admin.channel(publisher_confirms=True)
            events = await channel.declare_exchange("events", aio_pika.ExchangeType.TOPIC, durable=True)
            forwarded = await channel.declare_exchange("partner.logistics", aio_pika.ExchangeType.TOPIC, durable=True)
            await forwarded.bind(events, routing_key="logistics.order_registered.v1")
            await channel.declare_queue("booking.directory", durable=True)

            region_connection = await aio_pika.connect(f"amqp://{partner}:{password}@{base}")
            async with region_connection:
                mine = await region_connection.channel()
                queue = await mine.declare_queue(f"partner.{region}.orders", durable=True)
                await queue.bind("partner.logistics", routing_key="#")

                await events.publish(aio_pika.Message(b'{"order": 1}', message_id="order-1"), "logistics.order_registered.v1")
                await events.publish(aio_pika.Message(b'{"secret": 1}', message_id="booking-1"), "booking.journal_note.v1")
                got = await wait_for(lambda: queue.get(no_ack=True, fail=False), what="the forwarded event")
                assert got.message_id == "order-1"
                assert await queue.get(no_ack=True, fail=False) is None  # booking's event never reaches it

                async def refused(attempt) -> None:
                    channel = await region_connection.channel()
                    with pytest.raises(REFUSED):
                        await attempt(channel)

                await refused(lambda ch: _bind(ch, f"partner.{region}.orders", "events"))
                await refused(lambda ch: ch.declare_queue("booking.spy", durable=True))
                await refused(lambda ch: _consume(ch, "booking.directory"))
                await refused(lambda ch: _publish(ch, "partner.logistics"))
                await refused(lambda ch: _publish(ch, "events"))
                await refused(lambda ch: _bind(ch, f"partner.{region}.orders", "amq.topic"))
    finally:
        await asyncio.gather(rabbitmqctl("delete_vhost", vhost), rabbitmqctl("delete_user", partner),
                             return_exceptions=True)


async def _bind(channel, queue: str, exchange: str) -> None:
    declared = await channel.declare_queue(queue, passive=True)
    await declared.bind(exchange, routing_key="#")


async def _consume(channel, queue: str) -> None:
    declared = await channel.declare_queue(queue, passive=True)
    await declared.get(no_ack=True, fail=False)


async def _publish(channel, exchange: str) -> None:
    """With publisher confirms (aio-pika's default): a refused publish closes the channel."""
    target = await channel.get_exchange(exchange, ensure=False)
    await target.publish(aio_pika.Message(b"{}"), "logistics.order_registered.v1")
