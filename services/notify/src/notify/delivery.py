"""The sender: a background task of the notify process that sends due messages from the delivery log.

It claims up to 10 due messages at a time (``FOR UPDATE SKIP LOCKED``: safe with several replicas),
sends them concurrently, and records the outcome in the same transaction (if that transaction fails after the
sends, because the database went away, the outcomes are written again in new ones, so a mail is not sent twice):
- sent: ``sent``, with the provider's reference; a secret's body (code, password) is then redacted, as it
  is when the message ends ``failed``: it is never sent again, so the secret is not kept;
- temporary failure: retried at once a few times (tenacity, exponential back-off), then rescheduled
  with a growing delay; after ``max_attempts`` it is ``failed``;
- permanent failure (refused address, provider 4xx): ``failed`` at once, visible in /deliveries.
Due messages live in the database, so scheduled sends survive a restart. New messages wake the sender
at once (login codes go out within a second); otherwise it polls.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select, update
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from notify.adapters import Permanent, Temporary
from notify.models import Message

log = logging.getLogger("notify.delivery")
BATCH = 10
REDACTED = "(sent; the content is not kept)"


def backoff(attempts: int) -> timedelta:
    """Delay before the next round after ``attempts`` failed rounds: 2 s, 4 s, 8 s … at most 10 minutes."""
    return timedelta(seconds=min(2 ** attempts, 600))


async def send_one(app: FastAPI, message: Message) -> str:
    async for attempt in AsyncRetrying(
        stop=stop_after_attempt(3), wait=wait_exponential(multiplier=0.2, max=2),
        retry=retry_if_exception_type(Temporary), reraise=True,
    ):
        with attempt:
            if message.channel == "email":
                return await app.state.mailer.send(to=message.to_address, subject=message.subject or "",
                                                   body=message.body, message_id=str(message.id))
            return await app.state.sms.send(message.to_address, message.body.strip(), str(message.id))
    raise AssertionError("unreachable")


#: What a round writes on a message it tried to send
RECORDED = ("status", "attempts", "sent_at", "provider_reference", "last_error", "due_at", "body")


async def deliver_due(app: FastAPI, now: datetime | None = None) -> int:
    """One round: send what is due. Returns how many messages were handled."""
    settings = app.state.settings
    tried: dict[uuid.UUID, dict[str, Any]] = {}
    try:
        async with app.state.db.transaction() as session:
            due = (
                await session.execute(
                    select(Message).where(Message.status == "queued", Message.due_at <= (now or datetime.now(UTC)))
                    .order_by(Message.due_at).limit(BATCH).with_for_update(skip_locked=True)
                )
            ).scalars().all()
            if not due:
                return 0
            outcomes = await asyncio.gather(*(send_one(app, m) for m in due), return_exceptions=True)
            for message, outcome in zip(due, outcomes, strict=True):
                record(message, outcome, settings.max_attempts)
                tried[message.id] = {name: getattr(message, name) for name in RECORDED}
    except Exception:
        if not tried:
            raise
        # Sent, but the database went away before the round committed (a restart, a dropped connection):
        # the rows would stay queued and every one of these mails would go out again. Write what happened.
        log.warning("recording %d sent messages after the round's transaction failed", len(tried))
        await record_again(app, tried)
    return len(tried)


def record(message: Message, outcome: str | BaseException, max_attempts: int) -> None:
    message.attempts += 1
    if isinstance(outcome, str):
        message.status, message.sent_at, message.provider_reference = "sent", datetime.now(UTC), outcome
        message.last_error = None
    elif isinstance(outcome, Permanent):
        message.status, message.last_error = "failed", f"permanent: {outcome}"
    elif isinstance(outcome, Temporary | Exception):
        message.last_error = f"temporary: {outcome}"
        if message.attempts >= max_attempts:
            message.status = "failed"
        else:
            message.due_at = datetime.now(UTC) + backoff(message.attempts)
        log.warning("message %s not sent (attempt %d): %s", message.id, message.attempts, outcome)
    if message.secret and message.status in ("sent", "failed"):  # never sent again: the secret goes
        message.body = REDACTED


async def record_again(app: FastAPI, tried: dict[uuid.UUID, dict[str, Any]], timeout_s: float = 60.0) -> None:
    """The outcomes of a round whose transaction failed, in transactions of their own until one commits."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            async with app.state.db.transaction() as session:
                for message_id, values in tried.items():
                    await session.execute(update(Message).where(Message.id == message_id, Message.status == "queued")
                                          .values(**values))
            return
        except Exception:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def run_sender(app: FastAPI, stop: asyncio.Event) -> None:
    wake: asyncio.Event = app.state.wake_sender
    interval = app.state.settings.sender_poll_interval_s
    while not stop.is_set():
        wake.clear()
        try:
            if await deliver_due(app):
                continue
        except Exception:  # noqa: BLE001 - the database may be away; try again next round
            log.exception("delivery round failed")
        waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
        await asyncio.wait(waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
