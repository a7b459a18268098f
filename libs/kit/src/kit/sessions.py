"""Sessions the gateway has ended (logout, a password change, refresh-token reuse), known to every process.

An access token stays cryptographically valid until it expires, so ending a session "at once" means every
process that verifies tokens must refuse the token's ``sid`` from the moment it learns of the end. Each
process keeps the ended ids in memory for ``retention_s`` (the longest lifetime an accepted token can have,
plus the clock leeway): after that, every token of the session has expired anyway and the id can go.
The ids reach every process by the gateway's ``SessionEnded`` event on a per-process queue
(:mod:`kit.bus`), and a process that starts later asks the gateway for the ids ended within the retention.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

import aio_pika
import httpx

from contracts import parse_event

log = logging.getLogger("kit.sessions")


class EndedSessions:
    """Ended session ids with the time they ended; ``contains`` answers in O(1), pruning is amortised."""

    def __init__(self, retention_s: float) -> None:
        self.retention_s = retention_s
        self._ended: dict[str, float] = {}

    def end(self, session_ids: list[str] | tuple[str, ...], ended_at: float | None = None) -> None:
        at = time.time() if ended_at is None else ended_at
        for sid in session_ids:
            self._ended[str(sid)] = max(at, self._ended.get(str(sid), at))
        self.prune()

    def contains(self, session_id: str | None) -> bool:
        if session_id is None:
            return False
        at = self._ended.get(str(session_id))
        return at is not None and time.time() - at <= self.retention_s

    def prune(self) -> None:
        cutoff = time.time() - self.retention_s
        for sid in [sid for sid, at in self._ended.items() if at < cutoff]:
            del self._ended[sid]

    def __len__(self) -> int:
        return len(self._ended)


SESSION_ENDED = "gateway.session_ended.v1"


async def follow_ended_sessions(app: Any, stop: asyncio.Event) -> None:
    """Background task of every service process: a per-process queue (exclusive, auto-delete, server-named,
    so every replica gets every event, and the queue goes with the process) bound to ``SessionEnded``; then
    the ids ended within the retention from the gateway (``sessions_ended_url``), for a process that starts
    after them. The queue is bound first, so no end falls between the two."""
    while not stop.is_set():
        try:
            await _follow(app, stop)
        except Exception:  # noqa: BLE001 - the broker may be back in a moment: keep following
            log.exception("following ended sessions failed; trying again")
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass


async def _follow(app: Any, stop: asyncio.Event) -> None:
    settings = app.state.settings
    ended: EndedSessions = app.state.token_verifier.ended
    connection = await aio_pika.connect_robust(settings.amqp_url)
    async with connection:
        channel = await connection.channel()
        topic = aio_pika.ExchangeType.TOPIC
        exchange = await channel.declare_exchange(settings.exchange, topic, durable=True)
        queue = await channel.declare_queue("", exclusive=True, auto_delete=True, durable=False)
        await queue.bind(exchange, routing_key=SESSION_ENDED)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            async with message.process(ignore_processed=True):
                try:
                    _, event = parse_event(message.body)
                    ids = [str(s) for s in event.session_ids]  # type: ignore[attr-defined]
                    ended.end(ids, event.ended_at.timestamp())  # type: ignore[attr-defined]
                except (ValueError, AttributeError):
                    log.warning("a session-ended message that cannot be read was dropped")

        await queue.consume(on_message)
        await _catch_up(settings.sessions_ended_url, ended, stop)
        app.state.ended_sessions_following = True  # tests and readiness may wait for this
        await stop.wait()


async def _catch_up(url: str, ended: EndedSessions, stop: asyncio.Event) -> None:
    if not url:
        return
    since = datetime.fromtimestamp(time.time() - ended.retention_s, UTC).isoformat()
    for attempt in range(10):  # the gateway itself serves this URL only once its HTTP server is up
        try:
            async with httpx.AsyncClient(timeout=2.0) as client:
                response = await client.get(url, params={"since": since})
                response.raise_for_status()
            for item in response.json()["sessions"]:
                ended.end([item["session_id"]], datetime.fromisoformat(item["ended_at"]).timestamp())
            return
        except (httpx.HTTPError, KeyError, TypeError, ValueError):
            if attempt == 9 or stop.is_set():
                log.warning("sessions ended before this process started could not be fetched from %s", url)
                return
            try:
                await asyncio.wait_for(stop.wait(), 1.0)
            except TimeoutError:
                pass
