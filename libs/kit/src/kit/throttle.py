"""Brute-force throttling of credential checks, shared by every replica through the service's database.

A key names what is being guessed at (``login:account:<username>``) or who is guessing
(``login:ip:<address>``). Each failed check adds one to the key's counter within a window; once more
than ``free`` failures have been counted, the key is locked for an exponentially growing time
(``base_s · 2^(n - free - 1)``, at most ``max_s``). A check before the credential is even verified
refuses a locked key with 429 and ``Retry-After``, so a locked-out guesser learns nothing, not even
whether the password was right. A success resets the account's key (never the IP's: one good account
must not whitewash an address that guesses at others).

Failures are counted in a transaction of their own (the request's is rolled back when the 401 is
raised) with one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``: concurrent wrong tries each get their
own count, however many replicas run. Each using service creates the table in a migration of its own
with ``create_throttle_table()``.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, case, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from kit.db import Database
from kit.net import client_ip
from kit.problems import Problem
from kit.settings import ServiceSettings

log = logging.getLogger(__name__)
throttle_metadata = MetaData()

throttle = Table(
    "throttle",
    throttle_metadata,
    Column("key", Text, primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_started_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True)),
)


@dataclass(frozen=True)
class Policy:
    """How many failures a key may have within ``window_s`` before it is locked, and for how long."""

    free: int = 5
    window_s: float = 900.0
    base_s: float = 1.0
    max_s: float = 900.0


def key(scope: str, kind: str, value: str) -> str:
    """A throttle key. What a client typed is hashed (a username field sometimes holds a password, and an
    email is personal data); it is normalised first, so ``Anna@x`` and ``anna@x `` are one account."""
    digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]
    return f"{scope}:{kind}:{digest}"


def policies(settings: ServiceSettings) -> tuple[Policy, Policy]:
    """The account policy and the client-address policy from ``<PREFIX>THROTTLE_*``."""
    shared = {"window_s": settings.throttle_window_s, "base_s": settings.throttle_base_s,
              "max_s": settings.throttle_max_s}
    return (Policy(free=settings.throttle_account_failures, **shared),
            Policy(free=settings.throttle_ip_failures, **shared))


def lockout_s(failures: int, policy: Policy) -> float:
    """The pure back-off rule: no lock for the first ``free`` failures, then 1, 2, 4 … times ``base_s``,
    at most ``max_s``."""
    if failures <= policy.free:
        return 0.0
    return min(policy.max_s, policy.base_s * 2 ** min(failures - policy.free - 1, 60))


def retry_after(locked_until: datetime | None, now: datetime) -> int:
    """Whole seconds until ``locked_until`` (rounded up, so a client waiting that long is let in); 0 when free."""
    if locked_until is None or locked_until <= now:
        return 0
    return max(1, math.ceil((locked_until - now).total_seconds()))


def too_many(seconds: int) -> Problem:
    problem = Problem(429, "too-many-attempts", f"too many failed attempts; try again in {seconds} seconds",
                      retry_after=seconds)
    problem.headers["Retry-After"] = str(seconds)
    return problem


async def locked_for(db: Database, keys: list[str]) -> int:
    """Seconds the most locked of ``keys`` stays locked (0: all free). Read outside the request's
    transaction, so a lock committed by another replica a moment ago is seen."""
    async with db.transaction() as session:
        until = (await session.execute(
            select(func.max(throttle.c.locked_until)).where(throttle.c.key.in_(keys)))).scalar_one_or_none()
        now = (await session.execute(select(func.now()))).scalar_one()
    return retry_after(until, now)


async def fail(db: Database, keys: dict[str, Policy]) -> int:
    """Count one failure for each key in its own transaction; returns the seconds of the longest lock it
    caused (0 when none). The database clock is used throughout, so replicas agree."""
    longest = 0
    async with db.transaction() as session:
        now = (await session.execute(select(func.now()))).scalar_one()
        for key, policy in sorted(keys.items()):  # a fixed order: two requests never lock rows crosswise
            window_start = now - timedelta(seconds=policy.window_s)
            statement = insert(throttle).values(key=key, failures=1, window_started_at=now)
            expired = throttle.c.window_started_at < window_start
            statement = statement.on_conflict_do_update(
                index_elements=[throttle.c.key],
                set_={"failures": case((expired, 1), else_=throttle.c.failures + 1),
                      "window_started_at": case((expired, now), else_=throttle.c.window_started_at)},
            ).returning(throttle.c.failures, throttle.c.locked_until)
            failures, locked_until = (await session.execute(statement)).one()
            lock = lockout_s(failures, policy)
            if lock:
                until = now + timedelta(seconds=lock)
                if locked_until is None or until > locked_until:
                    await session.execute(throttle.update().where(throttle.c.key == key).values(locked_until=until))
                longest = max(longest, retry_after(until, now))
    return longest


async def succeed(session: AsyncSession, key: str) -> None:
    """A right credential: the account's failures are forgiven (in the request's transaction)."""
    await session.execute(delete(throttle).where(throttle.c.key == key))


@asynccontextmanager
async def guard(session: AsyncSession, db: Database, keys: dict[str, Policy], *, reset: str | None = None,
                counts: tuple[int, ...] = (401,), every_try: bool = False,
                on_refused: Callable[[int], Awaitable[None]] | None = None) -> AsyncIterator[None]:
    """Wrap one credential check: a locked key is refused with 429 before the check runs (``on_refused``
    audits it first); a problem with a status in ``counts`` raised inside counts a failure for every key
    (``every_try``: every attempt counts, for starts and sign-ups that verify nothing); a success clears
    ``reset`` (the account's key) in the request's transaction. Before a failure is counted, the request's
    transaction, rolled back anyway, gives its connection back, so a burst of tries cannot exhaust the pool."""
    if seconds := await locked_for(db, list(keys)):
        if on_refused is not None:
            await on_refused(seconds)
        raise too_many(seconds)
    try:
        yield
    except Exception as error:
        if every_try or (isinstance(error, Problem) and error.status in counts):
            await session.rollback()
            await fail(db, keys)
        raise
    if every_try:
        await fail(db, keys)
    elif reset:
        await succeed(session, reset)


@asynccontextmanager
async def link_guard(request: Request, session: AsyncSession, scope: str) -> AsyncIterator[None]:
    """A secret link's token tried from this client address (``kit.net.client_ip``): a token that finds
    nothing (404) or is spent counts a failure for the address, which is locked out after too many. The
    refusal is logged without the address or the token."""
    settings = request.app.state.settings
    _, ip_policy = policies(settings)

    async def log_refusal(seconds: int) -> None:
        log.warning("throttled %s link tries from one address for %d s", scope, seconds)

    key = f"{scope}:ip:{client_ip(request, settings.trusted_proxies)}"
    async with guard(session, request.app.state.db, {key: ip_policy}, counts=(404, 409, 410), on_refused=log_refusal):
        yield


def create_throttle_table() -> None:
    """Alembic migration step of each service that throttles."""
    from alembic import op

    throttle_metadata.create_all(op.get_bind())


def drop_throttle_table() -> None:
    from alembic import op

    throttle_metadata.drop_all(op.get_bind())
