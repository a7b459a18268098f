"""Waiting for a change that another transaction commits, without polling: PostgreSQL LISTEN/NOTIFY.

A table that callers wait on gets a trigger in its migration (``kit.schema.announce_changes``): every
committed insert, and every update of the columns named, sends ``<table>:<key>`` on one channel.
PostgreSQL delivers a notification only when (and if) its transaction commits, to every listening
process, so a waiter on any replica wakes, and a rolled-back change wakes nobody.

Each process listens on one connection of its own, opened on first use. A route that offers ``?wait=``
watches *before* it reads (a change committed between the read and the wait is not missed), reads in a
short transaction of its own, and waits holding no database connection. ``Changes.read_when`` does just
that::

    booking = await changes.read_when("bookings", booking_id, read, lambda b: b.status != known, wait_s)

Losing the listening connection loses no correctness: a waiter then wakes at its timeout and reads the
current state, and the next watch opens a new connection.

Shutdown does not wait for waiters: once the process begins shutting down (``shutting_down`` is set, by
``kit.service`` as soon as uvicorn begins its shutdown), every waiter is answered at once with what it read
last, as at its timeout, so the process stops within its grace period instead of after the longest wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg

from kit.db import plain_dsn
from kit.schema import CHANGES_CHANNEL as CHANNEL

log = logging.getLogger("kit.changes")

T = TypeVar("T")

#: The longest a request may wait for a change: below the gateway's proxy timeout and usual proxies' idle limits
MAX_WAIT_S = 25.0


class Change:
    """One watch: resolved when the watched row's change is committed."""

    def __init__(self, future: asyncio.Future[None], shutting_down: asyncio.Event) -> None:
        self._future = future
        self._shutting_down = shutting_down

    async def wait(self, timeout_s: float) -> bool:
        """True once the change has been committed (perhaps already), False after ``timeout_s`` or as soon as
        the process begins shutting down."""
        if not self._future.done() and not self._shutting_down.is_set():
            stopping = asyncio.ensure_future(self._shutting_down.wait())
            try:
                await asyncio.wait({self._future, stopping}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
            finally:
                stopping.cancel()
        return self._future.done()


async def unless_shutting_down(shutting_down: asyncio.Event, work: Awaitable[T]) -> T | None:
    """``work``'s result, or None when the process begins shutting down first (``work`` is then cancelled):
    for a route that waits on something other than ``Changes`` (the gateway forwarding a ``?wait=``)."""
    task = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(shutting_down.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        raise
    finally:
        stopping.cancel()
    if task.done():
        return task.result()
    task.cancel()
    await asyncio.wait({task})  # let it let go of what it holds (a pooled connection)
    return None


class Changes:
    """The process's listener: waiters by ``<table>:<key>``."""

    def __init__(self, database_url: str, shutting_down: asyncio.Event | None = None) -> None:
        self._dsn = plain_dsn(database_url)
        #: set when the process begins shutting down: every waiter is answered at once
        self.shutting_down = shutting_down if shutting_down is not None else asyncio.Event()
        self._connection: asyncpg.Connection | None = None
        self._connecting = asyncio.Lock()
        self._waiters: dict[str, set[asyncio.Future[None]]] = defaultdict(set)

    @asynccontextmanager
    async def watch(self, table: str, key: Any) -> AsyncIterator[Change]:
        await self._listen()
        name = f"{table}:{key}"
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters[name].add(future)
        try:
            yield Change(future, self.shutting_down)
        finally:
            waiting = self._waiters.get(name)
            if waiting is not None:
                waiting.discard(future)
                if not waiting:
                    del self._waiters[name]

    async def read_when(self, table: str, key: Any, read: Callable[[], Awaitable[T]], ready: Callable[[T], bool],
                        wait_s: float) -> T:
        """``read()`` until what it gives is ``ready``, reading again each time ``table``'s row ``key``
        changes; after ``wait_s`` seconds, what was read last. A change that leaves it not ready (another
        column, the same status written again, the row's own insert announced late) waits on. ``read`` runs a
        short transaction of its own, so no database connection is held while waiting. Once the process begins
        shutting down, what was read last is answered at once."""
        if wait_s <= 0 or self.shutting_down.is_set():
            return await read()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            async with self.watch(table, key) as change:  # watching before reading: no change slips through
                value = await read()
                remaining = deadline - loop.time()
                if ready(value) or remaining <= 0 or not await change.wait(remaining):
                    return value

    async def close(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close()
        self._connection = None

    async def _listen(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            return
        async with self._connecting:
            if self._connection is not None and not self._connection.is_closed():
                return
            try:
                connection = await asyncpg.connect(self._dsn)
                await connection.add_listener(CHANNEL, self._notified)
            except (OSError, asyncpg.PostgresError) as exc:
                # waiters still get the current state at their timeout; the next watch tries again
                log.warning("cannot listen for changes: %r", exc)
                return
            self._connection = connection

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        for future in self._waiters.pop(payload, ()):
            if not future.done():
                future.set_result(None)
