"""A partner region (a machine, not a person): it consumes the partner-safe logistics events from the
``partner.logistics`` exchange over AMQP (LG-19) with its own queue, and follows an order, its delivery, a
pickup and an activity of Region Exempelland without ever receiving a personal identity number, a name or
the recipient's id (a pseudonym instead). Partner regions have no way in through the gateway (none is in
the design: ARCHITECTURE.md's map draws them on the AMQP side), so this journey reads the exchange the way
their integration does; the region's prescriber and aid-centre staff act through the gateway."""

from __future__ import annotations

import asyncio
import json
import re

import aio_pika
import pytest
from flows import LG, available_article, order_and_submit, prescriber_ready, register_recipient
from people import ok

IDENTITY_NUMBER = re.compile(r"(19|20)\d{6}-?\d{4}")


async def _bind(platform, queue_name: str) -> None:
    connection = await aio_pika.connect(platform.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True)
        await queue.bind(platform.partner_exchange, routing_key="#")


async def _drain(platform, queue_name: str, until, timeout: float = 30) -> list[dict]:
    """Read the partner's queue until ``until(received)`` holds (polling with a deadline)."""
    received: list[dict] = []
    connection = await aio_pika.connect(platform.amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(queue_name, durable=True)
        deadline = asyncio.get_running_loop().time() + timeout
        while not until(received):
            message = await queue.get(fail=False, timeout=5)
            if message is None:
                if asyncio.get_running_loop().time() > deadline:
                    raise AssertionError(f"the partner events did not all arrive: {[m['event_type'] for m in received]}")
                await asyncio.sleep(0.2)
                continue
            await message.ack()
            received.append(json.loads(message.body))
    return received


@pytest.fixture(scope="module")
def partner_queue(platform):
    name = f"partner-region.{platform.run_id}"
    asyncio.run(_bind(platform, name))
    return name


def test_follows_an_order_its_delivery_and_pickup_without_personal_data(platform, partner_queue):
    prescriber = platform.sign_in("demo.prescriber")
    prescriber_ready(prescriber, "demo.prescriber")
    recipient = register_recipient(prescriber)
    article = available_article(prescriber)
    submitted = order_and_submit(prescriber, recipient["id"], article["id"])
    ok(platform.sign_in("demo.aidcentre").post(f"{LG}/orders/{submitted['id']}/delivery"))
    ok(prescriber.post(f"{LG}/pickups", json={"recipient_id": recipient["id"], "reason": "aid_centre",
                                               "articles": [{"article_id": article["id"], "quantity": 1}]}), 200, 201)

    def complete(received: list[dict]) -> bool:
        types = {m["event_type"] for m in received if m["payload"].get("case_number") == submitted["case_number"]}
        pickups = [m for m in received if "pickup" in m["event_type"]]
        return {"logistics.order_registered.v1", "logistics.order_delivered.v1"} <= types and bool(pickups)

    received = asyncio.run(_drain(platform, partner_queue, complete))
    # each part of the name as a word: "Exempel" is a first name of the register stub and also the start of
    # "Exempelkommunen", the service unit's municipality, which the partner may see
    names = [re.compile(rf"\b{re.escape(part)}\b") for part in recipient["name"].split() if len(part) > 3]
    for message in received:
        text = json.dumps(message, ensure_ascii=False)
        assert not IDENTITY_NUMBER.search(text), text
        assert not any(name.search(text) for name in names), text
        assert recipient["id"] not in text, "a pseudonym, never the recipient's id"
    refs = {m["payload"].get("recipient_ref") for m in received if m["payload"].get("case_number") == submitted["case_number"]}
    assert len(refs) == 1 and None not in refs
