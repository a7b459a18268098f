"""Dead letters, looked at and replayed: ``python -m <service> dlq list|replay [--limit N] [--queue NAME]``.

A message a consumer could not handle lies in ``<service>.<purpose>.dlq`` with its reason in
``x-dead-letter-reason`` and the routing key it came with in ``x-original-routing-key`` (kit.bus; a message
RabbitMQ dead-lettered itself has it in ``x-death``). Once the cause is fixed (a deploy, a missing record),
``replay`` takes each message off the DLQ and publishes it again on the service's exchange with that
routing key, its body, its properties and its headers (less the dead-letter bookkeeping, plus
``x-replayed`` counting the replays), waits for the broker's confirm, and only then acks it on the DLQ:
a crash in between leaves a copy on both, and the consumers' inbox makes the second one a no-op. Every
queue bound to the routing key gets it again; those that handled it already find it in their inbox
(keep replays within ``<SERVICE>_INBOX_RETENTION_DAYS``). A message without a routing key, or one no queue
is bound to any more (returned as unroutable), stays on the DLQ and is reported.

``list`` shows what is there without taking anything: it holds up to ``--limit`` messages unacked on its
channel and closes it, which returns them, in order, to the queue.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import aio_pika.exceptions

from kit.settings import ServiceSettings

#: Headers of the dead-lettering itself, not of the message: dropped when it is published again
BOOKKEEPING = ("x-dead-letter-reason", "x-death", "x-first-death-exchange", "x-first-death-queue",
               "x-first-death-reason", "x-last-death-exchange", "x-last-death-queue", "x-last-death-reason",
               "x-delivery-count")


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    message_id: str | None
    routing_key: str | None
    event_type: str | None
    reason: str
    replayed: int

    def line(self) -> str:
        again = f", replayed {self.replayed}x before" if self.replayed else ""
        return (f"  {self.message_id or '-'}  {self.routing_key or '(no routing key)'}  "
                f"{self.event_type or '-'}{again}\n      reason: {self.reason}")


@dataclass
class Report:
    queue: str
    waiting: int = 0
    replayed: Counter = field(default_factory=Counter)
    kept: list[tuple[DeadLetter, str]] = field(default_factory=list)

    def lines(self, exchange: str) -> list[str]:
        done = sum(self.replayed.values())
        kinds = ", ".join(f"{key}: {count}" for key, count in sorted(self.replayed.items()))
        found = [f"{self.queue}: replayed {done} to exchange {exchange}" + (f" ({kinds})" if kinds else "")
                 + f"; {len(self.kept)} kept on the DLQ; {self.waiting} were waiting"]
        found += [f"  kept {letter.message_id or '-'}: {why}" for letter, why in self.kept]
        return found


def original_routing_key(headers: dict[str, Any]) -> str | None:
    if key := headers.get("x-original-routing-key"):
        return str(key)
    for death in headers.get("x-death") or []:  # dead-lettered by RabbitMQ itself (delivery limit)
        keys = death.get("routing-keys") or []
        if keys:
            return str(keys[0])
    return None


def describe(queue: str, message: aio_pika.abc.AbstractIncomingMessage) -> DeadLetter:
    headers = dict(message.headers or {})
    reason = headers.get("x-dead-letter-reason")
    if reason is None and headers.get("x-death"):
        reason = f"rejected by RabbitMQ: {headers['x-death'][0].get('reason')}"
    return DeadLetter(queue, message.message_id, original_routing_key(headers), message.type,
                      str(reason or "unknown"), int(headers.get("x-replayed") or 0))


def dead_letter_queues(settings: ServiceSettings, queues: list[str]) -> list[str]:
    return [f"{name}.dlq" for name in queues]


async def _waiting(channel: aio_pika.abc.AbstractChannel, queue: str) -> tuple[aio_pika.abc.AbstractQueue, int]:
    declared = await channel.declare_queue(queue, passive=True)
    return declared, declared.declaration_result.message_count or 0


async def list_dead_letters(settings: ServiceSettings, queues: list[str], *, limit: int) -> dict[str, tuple[int, list[DeadLetter]]]:
    """Per DLQ: how many messages wait, and the first ``limit`` of them (none taken off the queue)."""
    found: dict[str, tuple[int, list[DeadLetter]]] = {}
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        for queue in queues:
            channel = await connection.channel()
            try:
                declared, waiting = await _waiting(channel, queue)
            except aio_pika.exceptions.ChannelClosed:
                found[queue] = (0, [])  # not declared yet: the service never started
                continue
            letters = []
            for _ in range(min(limit, waiting)):
                message = await declared.get(no_ack=False, fail=False)
                if message is None:
                    break
                letters.append(describe(queue, message))
            await channel.close()  # unacked: back on the queue, in order
            found[queue] = (waiting, letters)
    return found


async def replay(settings: ServiceSettings, queues: list[str], *, limit: int) -> list[Report]:
    """Publish up to ``limit`` messages of each DLQ again with their original routing key (confirmed),
    acking each on the DLQ only after its confirm."""
    reports = []
    connection = await aio_pika.connect(settings.amqp_url)
    async with connection:
        publisher = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await publisher.declare_exchange(settings.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        for queue in queues:
            report = Report(queue)
            reports.append(report)
            channel = await connection.channel()
            try:
                declared, report.waiting = await _waiting(channel, queue)
            except aio_pika.exceptions.ChannelClosed:
                continue
            for _ in range(min(limit, report.waiting)):
                message = await declared.get(no_ack=False, fail=False)
                if message is None:
                    break
                letter = describe(queue, message)
                if not letter.routing_key:
                    report.kept.append((letter, "no original routing key"))
                    continue  # held unacked until the channel closes: it stays, and is not fetched again
                headers = {k: v for k, v in (message.headers or {}).items() if k not in BOOKKEEPING}
                headers["x-replayed"] = letter.replayed + 1
                again = aio_pika.Message(
                    message.body, headers=headers, content_type=message.content_type,
                    content_encoding=message.content_encoding, delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    priority=message.priority, correlation_id=message.correlation_id, message_id=message.message_id,
                    timestamp=message.timestamp, type=message.type, app_id=message.app_id)
                try:
                    await exchange.publish(again, letter.routing_key, mandatory=True,
                                           timeout=settings.relay_confirm_timeout_s)
                except aio_pika.exceptions.DeliveryError as returned:
                    report.kept.append((letter, f"unroutable: no queue is bound to {letter.routing_key} ({returned})"))
                    continue
                await message.ack()
                report.replayed[letter.event_type or letter.routing_key] += 1
            await channel.close()
    return reports


def main(settings: ServiceSettings, queues: list[str], argv: list[str]) -> int:
    """The ``dlq`` command of ``kit.service.Service``: prints what it saw or did; exit 1 when a message
    had to stay on its DLQ."""
    import argparse

    parser = argparse.ArgumentParser(prog=f"python -m {settings.service_name} dlq",
                                     description="Look at or replay the service's dead-letter queues.")
    parser.add_argument("action", choices=["list", "replay"])
    parser.add_argument("--limit", type=int, default=100, help="messages per queue at most (default 100)")
    parser.add_argument("--queue", action="append", help="only this DLQ (repeatable; default: all of the service's)")
    args = parser.parse_args(argv)
    if args.limit < 1:
        parser.error("--limit must be at least 1")
    all_queues = dead_letter_queues(settings, queues)
    chosen = all_queues
    if args.queue:
        unknown = sorted(set(args.queue) - set(all_queues))
        if unknown:
            parser.error(f"not a DLQ of {settings.service_name}: {', '.join(unknown)} (it has {', '.join(all_queues)})")
        chosen = args.queue
    if args.action == "list":
        for queue, (waiting, letters) in asyncio.run(list_dead_letters(settings, chosen, limit=args.limit)).items():
            print(f"{queue}: {waiting} message(s)" + (f", the first {len(letters)}:" if letters else ""))
            for letter in letters:
                print(letter.line())
        return 0
    reports = asyncio.run(replay(settings, chosen, limit=args.limit))
    for report in reports:
        for line in report.lines(settings.exchange):
            print(line)
    return 1 if any(report.kept for report in reports) else 0
