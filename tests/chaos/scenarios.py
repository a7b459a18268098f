"""The chaos suite's pieces (``make chaos``: tests/chaos/run.py; one scenario also in tests/test_chaos_poison.py).

A scenario starts its own platform from nothing: this run's databases, exchange and queues
(``kit.testing.RunEnvironment``), migrated, and as processes the gateway, booking, billing and notify, the
relays of booking and billing and notify's development SMTP sink. The harness plays the gateway's
directory (it publishes each person's ``ContactDetailsChanged``) and signs its own tokens, as the booking
benchmark does. Clients then book and pay through the gateway (``booking.testing.paid_booking``), a few at a
time, while the scenario does its damage, and a client that gets 429/502/503/504 or no answer sends the same
request again after its Retry-After, as a front-end does.

Afterwards, from the databases, the mail sink and the queues:
- lost: bookings a client paid for (202) or whose payment was captured that are not confirmed, paid ones
  without a capture, reservations (201) whose flow never came through (no payment appeared, never
  confirmed), and confirmation mails missing (one to the client, one to the therapist);
- doubled: slots confirmed twice, bookings confirmed (``BookingConfirmed``) twice, payments captured twice,
  bookings with two payments;
- duplicate emails: more than one confirmation mail per booking per recipient;
- errors_500: answers 500 (or any 5xx but 502/503/504) that clients saw, each kept with its request;
- the dead-letter queues: exactly the poison the scenario sent, each with its reason, nothing else;
- recovery: from the end of the fault to the first paid booking confirmed that a fresh client began then.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import aiohttp
import asyncpg
import httpx

from billing.settings import Settings as BillingSettings
from booking.settings import Settings as BookingSettings
from booking.testing import PaidBooking, authorised_therapist, paid_booking
from contracts import Envelope
from contracts.booking.v1 import BookingConfirmed
from contracts.gateway.v1 import ContactDetailsChanged
from gateway.settings import Settings as GatewaySettings
from kit import migrations
from kit.db import plain_dsn
from kit.testing import RunEnvironment, find_servers, free_port, publish_many, terminate, wait_until_up
from notify.settings import Settings as NotifySettings

LOGS = Path(tempfile.gettempdir()) / "chaos-logs"
SERVICES = {"gateway": GatewaySettings, "booking": BookingSettings, "billing": BillingSettings, "notify": NotifySettings}
#: process name → (service, the command's arguments after ``python -m <service>``)
PROCESSES = {"gateway": ("gateway", []), "booking": ("booking", []), "billing": ("billing", []),
             "notify": ("notify", []), "booking-relay": ("booking", ["relay"]),
             "billing-relay": ("billing", ["relay"]), "smtp-sink": ("notify", ["smtp-sink"])}
RETRIED = {429, 502, 503, 504}
FLOW_TIMEOUT_S = 120.0
RECOVERY_LIMIT_S = 30.0


class Platform:
    """One scenario's platform as processes; any of them can be killed and started again."""

    def __init__(self, scenario: str, **overrides: dict[str, Any]) -> None:
        self.scenario = scenario
        self.env = RunEnvironment(find_servers(), "c" + uuid.uuid4().hex[:8])
        self.tokens = self.env.tokens
        ports = {name: free_port() for name in SERVICES}
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        # a small connection budget per process: the PostgreSQL of this machine is shared with other runs
        common = {"log_level": "WARNING", "consumer_concurrency": 4, "database_pool_size": 3, "database_max_overflow": 3}
        specific = {
            "gateway": {"services": {"booking": self.urls["booking"], "billing": self.urls["billing"]}},
            "booking": {},
            "billing": {"stub_webhook_url": f"{self.urls['billing']}/webhooks/provider", "payout_scheduler_enabled": False},
            "notify": {"smtp_port": free_port()},
        }
        self.settings = {name: self.env.settings(cls, http_port=ports[name], **common, **specific[name],
                                                 **overrides.get(name, {}))
                         for name, cls in SERVICES.items()}
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs = LOGS / scenario
        self.queues: dict[str, list[str]] = {}

    async def up(self) -> None:
        """Migrate every database, start every process, wait until each service is ready."""
        for name, settings in self.settings.items():
            await upgrade(importlib.import_module(f"{name}.app").ROOT, settings.database_url)
            self.queues[name] = list(importlib.import_module(f"{name}.subscribers").consumers.bindings(settings))
            self.env.track_queues(self.queues[name])
        shutil.rmtree(self.logs, ignore_errors=True)  # this run's logs only
        self.logs.mkdir(parents=True)
        for name in PROCESSES:
            self.start(name)
        await self.ready()

    async def ready(self, *names: str) -> None:
        await asyncio.gather(*(wait_until_up(self.urls[n], timeout=90) for n in names or SERVICES))

    def start(self, name: str) -> None:
        service, argv = PROCESSES[name]
        env = self.env.env(self.settings[service], f"{service.upper()}_")
        log = open(self.logs / f"{name}.log", "a")  # noqa: SIM115 - the child keeps it
        self.processes[name] = subprocess.Popen([sys.executable, "-m", service, *argv], env=env, stdout=log,
                                                stderr=subprocess.STDOUT)

    def kill(self, name: str) -> None:
        """``kill -9``: no shutdown, no goodbye."""
        process = self.processes.pop(name)
        process.kill()
        process.wait(10)

    async def down(self) -> None:
        terminate(*self.processes.values())
        self.processes.clear()
        await self.env.cleanup()

    async def fetch(self, service: str, query: str) -> list[asyncpg.Record]:
        """The harness's own reads, retried for 30 s while the (shared) server has no connection to spare."""
        async for conn in connected(self.settings[service].database_url):
            try:
                return await conn.fetch(query)
            finally:
                await conn.close()
        raise AssertionError("unreachable")

    def dlq(self, service: str, purpose: str) -> str:
        return f"{self.settings[service].queue_name(purpose)}.dlq"


BUSY = (asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError, asyncpg.PostgresConnectionError, ConnectionError)


async def connected(url: str, timeout: float = 30) -> AsyncIterator[asyncpg.Connection]:
    """One connection for the harness, yielded once; while the server refuses, tried again for ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = await asyncpg.connect(plain_dsn(url))
        except BUSY:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)
            continue
        yield conn
        return


async def upgrade(root: Path, url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return await migrations.upgrade(root, url)
        except BUSY:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


@dataclass
class Reply:
    status_code: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Seen:
    """What the clients saw: every answer's status, each 500 with its request, retries."""
    statuses: Counter = field(default_factory=Counter)
    errors_500: list[str] = field(default_factory=list)
    unavailable_without_retry_after: list[str] = field(default_factory=list)
    no_answer: Counter = field(default_factory=Counter)


class Client:
    """Requests through the gateway as a front-end sends them while something is broken: 429, 502, 503,
    504 and no answer at all are sent again (the same request, so the same Idempotency-Key) after the
    Retry-After or half a second; a 500 too, after it is counted: it is a fault of ours."""

    def __init__(self, http: aiohttp.ClientSession, seen: Seen) -> None:
        self.http = http
        self.seen = seen

    async def call(self, method: str, url: str, *, waits: bool = False, **kwargs: Any) -> Reply:
        while True:
            try:
                async with self.http.request(method, url, timeout=aiohttp.ClientTimeout(total=40), **kwargs) as answer:
                    reply = Reply(answer.status, await answer.read())
                    retry_after = answer.headers.get("Retry-After")
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.seen.no_answer[type(exc).__name__] += 1
                await asyncio.sleep(0.5)
                continue
            self.seen.statuses[reply.status_code] += 1
            if reply.status_code >= 500 and reply.status_code not in RETRIED:
                self.seen.errors_500.append(f"{method} {url} → {reply.status_code} {reply.body[:300]!r}")
            elif reply.status_code == 503 and not retry_after:
                self.seen.unavailable_without_retry_after.append(f"{method} {url}: {reply.body[:200]!r}")
            if reply.status_code in RETRIED or reply.status_code >= 500:
                with contextlib.suppress(ValueError):
                    await asyncio.sleep(min(float(retry_after or 0.5), 5.0))
                continue
            return reply


@dataclass
class Person:
    account_id: uuid.UUID
    name: str
    email: str

    def contact(self) -> ContactDetailsChanged:
        return ContactDetailsChanged(account_id=self.account_id, display_name=self.name, email=self.email, language="en")


def person(kind: str) -> Person:
    account_id = uuid.uuid4()
    return Person(account_id, f"Chaos {kind} {account_id.hex[:10]}", f"{kind}-{account_id.hex[:10]}@chaos.example")


class Stream:
    """Paid bookings, ``concurrency`` clients at a time, each a new client on a free slot, until stopped."""

    def __init__(self, platform: Platform, *, therapists: int = 4, slots_per_therapist: int = 60,
                 concurrency: int = 5) -> None:
        self.platform = platform
        self.therapists_n, self.slots_per_therapist, self.concurrency = therapists, slots_per_therapist, concurrency
        self.seen = Seen()
        self.flows: list[PaidBooking] = []
        self.slots: list[str] = []
        self.clients: list[Person] = []
        self.people: dict[uuid.UUID, Person] = {}
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self.timed_out = 0

    @contextlib.asynccontextmanager
    async def open(self) -> AsyncIterator[Stream]:
        async with aiohttp.ClientSession(self.platform.urls["gateway"], connector=aiohttp.TCPConnector(limit=200)) as http:
            self.client = Client(http, self.seen)
            await self.prepare()
            yield self

    async def prepare(self) -> None:
        """The therapists authorised with free slots, and every client's contact details known to notify."""
        therapists = [person("therapist") for _ in range(self.therapists_n)]
        self.clients = [person("client") for _ in range(self.therapists_n * self.slots_per_therapist)]
        self.people = {p.account_id: p for p in [*therapists, *self.clients]}
        await publish_many(self.platform.env, [p.contact() for p in self.people.values()])
        await self.until(f"SELECT count(*) = {len(self.people)} FROM recipients", "notify", 60,
                         "notify to know every person's address")
        base = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
        async with httpx.AsyncClient(base_url=self.platform.urls["gateway"], timeout=30) as http:

            async def slots_of(therapist: Person) -> list[str]:
                _, headers = await authorised_therapist(http, self.platform.tokens, prefix="/api/booking",
                                                        therapist_id=therapist.account_id, name=therapist.name)
                made = []
                for i in range(self.slots_per_therapist):
                    response = await http.post("/api/booking/slots", headers=headers, json={
                        "starts_at": (base + timedelta(hours=i)).isoformat(), "price_minor": 95000, "video": True})
                    assert response.status_code == 201, response.text
                    made.append(response.json()["id"])
                return made

            groups = await asyncio.gather(*(slots_of(t) for t in therapists))
        self.slots = [slot for group in zip(*groups, strict=True) for slot in group]  # therapists take turns

    async def until(self, query: str, service: str, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not (await self.platform.fetch(service, query))[0][0]:
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
            await asyncio.sleep(0.25)

    async def book(self) -> PaidBooking:
        """One new client's paid booking on the next free slot, given up after FLOW_TIMEOUT_S."""
        index = len(self.flows)
        if index >= len(self.slots):
            raise RuntimeError("the stream ran out of slots")
        client = self.clients[index]
        flow = PaidBooking(time.perf_counter())
        self.flows.append(flow)
        try:
            await asyncio.wait_for(paid_booking(self.client.call, self.platform.tokens.headers(client.account_id, "client"),
                                                self.slots[index], wait_s=5, flow=flow), FLOW_TIMEOUT_S)
        except TimeoutError:
            self.timed_out += 1
        return flow

    def start(self) -> None:
        async def loop() -> None:
            while not self._stop.is_set():
                await self.book()

        self._tasks = [asyncio.create_task(loop()) for _ in range(self.concurrency)]

    def extra(self, clients: int) -> None:
        """``clients`` more bookings at once, besides the stream's own."""
        self._tasks += [asyncio.create_task(self.book()) for _ in range(clients)]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def confirmed(self, at_least: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while sum(f.confirmed is not None for f in self.flows) < at_least:
            if time.monotonic() > deadline:
                raise AssertionError(f"fewer than {at_least} bookings confirmed in {timeout:.0f} s")
            await asyncio.sleep(0.1)

    async def mid_saga(self, timeout: float = 10) -> None:
        """Until some booking is paid and not yet confirmed (the provider, billing, the bus, booking at work)."""
        deadline = time.monotonic() + timeout
        while not any(f.paid is not None and f.confirmed is None for f in self.flows) and time.monotonic() < deadline:
            await asyncio.sleep(0.005)

    async def recovery(self, fault_ended: float) -> float | None:
        """Seconds from ``fault_ended`` until a paid booking that a fresh client began then is confirmed."""
        flow = await self.book()
        return None if flow.confirmed is None else flow.confirmed - fault_ended


@dataclass
class Outcome:
    scenario: str
    bookings: int = 0
    lost: int = 0
    doubled: int = 0
    duplicate_emails: int = 0
    errors_500: int = 0
    recovery_s: float | None = None
    dlq_mismatches: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return (not (self.lost or self.doubled or self.duplicate_emails or self.errors_500 or self.dlq_mismatches)
                and self.recovery_s is not None and self.recovery_s <= RECOVERY_LIMIT_S)

    def line(self) -> str:
        recovery = "never" if self.recovery_s is None else f"{self.recovery_s:.1f} s"
        return (f"{'ok  ' if self.passed else 'FAIL'} {self.scenario:<16} bookings {self.bookings:>4}  lost {self.lost}  "
                f"doubled {self.doubled}  duplicate emails {self.duplicate_emails}  500s {self.errors_500}  "
                f"DLQ mismatches {self.dlq_mismatches}  recovery {recovery}")


#: a DLQ's name → {message id: what its x-dead-letter-reason must start with}
Poison = dict[str, dict[str, str]]


@dataclass
class Figures:
    paid: int = 0
    confirmed: int = 0
    mails_to_clients: int = 0
    mails_to_therapists: int = 0
    lost_bookings: set[str] = field(default_factory=set)
    uncaptured: set[str] = field(default_factory=set)
    missing_mails: list[str] = field(default_factory=list)
    duplicate_mails: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    strangers: int = 0

    @property
    def pending(self) -> bool:
        return bool(self.lost_bookings or self.uncaptured or self.missing_mails)


async def measure(platform: Platform, stream: Stream) -> Figures:
    """The figures, from booking's, billing's and notify's databases and the mail sink."""
    found = Figures()
    bookings = {str(r["id"]): r for r in await platform.fetch("booking", "SELECT id, slot_id, client_id, therapist_id, status FROM bookings")}
    confirmed = {b for b, r in bookings.items() if r["status"] == "confirmed"}
    confirmations = Counter({str(r[0]): r[1] for r in await platform.fetch(
        "booking", "SELECT aggregate_id, count(*) FROM outbox WHERE event_type = 'booking.booking_confirmed.v1' GROUP BY 1")})
    payments = await platform.fetch("billing", "SELECT p.id, p.booking_id, count(m.id) FILTER (WHERE m.kind = 'capture') AS captures "
                                               "FROM payments p LEFT JOIN money_movements m ON m.payment_id = p.id GROUP BY p.id")
    captures = {str(r["booking_id"]): r["captures"] for r in payments}
    paid = {f.booking_id for f in stream.flows if f.paid is not None}
    found.paid, found.confirmed = len(paid), len(confirmed)
    found.lost_bookings = {b for b in paid | {b for b, n in captures.items() if n} if b not in confirmed}
    found.uncaptured = {b for b in paid if not captures.get(b)}
    found.doubled = ([f"slot {slot} confirmed {n} times" for slot, n in Counter(bookings[b]["slot_id"] for b in confirmed).items() if n > 1]
                     + [f"booking {b} confirmed {n} times" for b, n in confirmations.items() if n > 1]
                     + [f"payment of booking {b} captured {n} times" for b, n in captures.items() if n > 1]
                     + [f"booking {b} has {n} payments" for b, n in Counter(str(r["booking_id"]) for r in payments).items() if n > 1])

    mails = await platform.fetch("notify", "SELECT rcpt_to, subject, body FROM dev_mailbox")
    to_clients = Counter(m["rcpt_to"] for m in mails if m["subject"].startswith("Booking confirmed"))
    to_therapists = [m for m in mails if m["subject"].startswith("New booking")]
    found.mails_to_clients, found.mails_to_therapists = sum(to_clients.values()), len(to_therapists)
    for booking in sorted(confirmed):
        client, therapist = stream.people.get(bookings[booking]["client_id"]), stream.people.get(bookings[booking]["therapist_id"])
        if client is None or therapist is None:
            found.strangers += 1
            continue
        told = {"client": to_clients[client.email],
                "therapist": sum(m["rcpt_to"] == therapist.email and client.name in m["body"] for m in to_therapists)}
        found.missing_mails += [f"booking {booking}: no mail to the {who}" for who, n in told.items() if n == 0]
        found.duplicate_mails += [f"booking {booking}: {n} mails to the {who}" for who, n in told.items() if n > 1]
    return found


async def settle(platform: Platform, stream: Stream, timeout: float = 60) -> Figures:
    """The figures once the work the clients started has come through (every booking paid or captured
    confirmed, its two mails sent), or as they are after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while (found := await measure(platform, stream)).pending and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    return found


async def check(platform: Platform, stream: Stream, outcome: Outcome, poison: Poison | None = None) -> Outcome:
    """The outcome from the databases, the mail sink, the DLQs and what the clients saw."""
    found = await settle(platform, stream)
    outcome.bookings = found.confirmed
    # a reservation accepted (201) whose flow never came through (no payment to pay, never confirmed) is lost too
    stuck = {f.booking_id for f in stream.flows if f.booking_id and f.confirmed is None and f.refused is None}
    stuck -= found.lost_bookings | found.uncaptured
    outcome.lost = len(found.lost_bookings | found.uncaptured | stuck) + len(found.missing_mails)
    outcome.doubled = len(found.doubled)
    outcome.duplicate_emails = len(found.duplicate_mails)
    outcome.errors_500 = len(stream.seen.errors_500)
    notes = outcome.notes
    notes.append(f"{found.paid} paid by clients, {found.confirmed} confirmed, {found.mails_to_clients} mails to "
                 f"clients and {found.mails_to_therapists} to therapists")
    outcome.dlq_mismatches = await check_dlqs(platform, poison or {}, notes)
    if found.lost_bookings:
        notes.append(f"not confirmed though paid or captured: {sorted(found.lost_bookings)[:5]}")
    if stuck:
        notes.append(f"reserved (201) and never through: {sorted(stuck)[:5]}")
    if found.uncaptured:
        notes.append(f"paid (202) but never captured: {sorted(found.uncaptured)[:5]}")
    notes += found.missing_mails[:5] + found.duplicate_mails[:5] + found.doubled[:5]
    if found.strangers:
        notes.append(f"{found.strangers} confirmed bookings of people the stream does not know")
    notes += [f"500: {e}" for e in stream.seen.errors_500[:5]]
    if stream.seen.unavailable_without_retry_after:
        notes.append(f"{len(stream.seen.unavailable_without_retry_after)} × 503 without Retry-After, e.g. "
                     f"{stream.seen.unavailable_without_retry_after[0]}")
    refused = Counter(f.refused for f in stream.flows if f.refused)
    if refused:
        notes.append(f"flows refused: {dict(refused)}")
    if stream.timed_out:
        notes.append(f"{stream.timed_out} flows gave up after {FLOW_TIMEOUT_S:.0f} s")
    answers = {k: v for k, v in sorted(stream.seen.statuses.items()) if k >= 400}
    notes.append(f"answers ≥ 400: {answers}; no answer: {dict(stream.seen.no_answer)}")
    return outcome


async def check_dlqs(platform: Platform, poison: Poison, notes: list[str]) -> int:
    """Read every dead-letter queue of the run (and put the messages back): exactly ``poison``, each with
    its reason. Returns the number of messages missing, unexpected, or with another reason."""
    mismatches = 0
    connection = await aio_pika.connect(platform.env.servers.amqp_url)
    async with connection:
        channel = await connection.channel()
        for dlq in sorted(q for q in platform.env.queues if q.endswith(".dlq")):
            queue = await channel.declare_queue(dlq, passive=True)
            found: dict[str, str] = {}
            while (message := await queue.get(no_ack=False, fail=False)) is not None:
                found[message.message_id or "?"] = str((message.headers or {}).get("x-dead-letter-reason", ""))
            expected = poison.get(dlq, {})
            if found:
                notes.append(f"{dlq}: {len(found)} dead-lettered ({', '.join(sorted({r.split(':')[0] for r in found.values()}))})")
            for message_id, reason in found.items():
                if message_id not in expected:
                    mismatches += 1
                    notes.append(f"unexpected in {dlq}: {message_id}: {reason[:200]}")
                elif not reason.startswith(expected[message_id]):
                    mismatches += 1
                    notes.append(f"{dlq}: {message_id} dead-lettered with {reason[:200]!r}, not {expected[message_id]!r}")
            for message_id in expected.keys() - found.keys():
                mismatches += 1
                notes.append(f"missing from {dlq}: {message_id} ({expected[message_id]})")
    return mismatches


# ---------------------------------------------------------------------------------------------- faults

async def rabbitmqctl(command: str) -> None:
    process = await asyncio.create_subprocess_exec("rabbitmqctl", command, stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), 60)
    if process.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {command} failed: {err.decode()[:300]}")


async def broker_down(platform: Platform, stream: Stream, outcome: Outcome) -> float:
    """RabbitMQ's application stopped for 5 s, then started again (always)."""
    try:
        await rabbitmqctl("stop_app")
        await asyncio.sleep(5)
    finally:
        await rabbitmqctl("start_app")
    return time.perf_counter()


def killed(*names: str) -> Callable[[Platform, Stream, Outcome], Awaitable[float]]:
    async def fault(platform: Platform, stream: Stream, outcome: Outcome) -> float:
        """``kill -9`` of the process(es) while sagas are under way (bookings paid, not yet confirmed),
        then started again at once, as a supervisor does."""
        await stream.mid_saga()
        for name in names:
            platform.kill(name)
        await asyncio.sleep(0.5)
        for name in names:
            platform.start(name)
        return time.perf_counter()

    return fault


def postgres_cluster() -> tuple[str, str]:
    versions = sorted((p.name for p in Path("/etc/postgresql").iterdir() if p.name.isdigit()), key=int)
    return versions[-1], "main"


async def postgres_restart(platform: Platform, stream: Stream, outcome: Outcome) -> float:
    """``pg_ctlcluster restart``: every connection of every service is cut, the server is away ~1-3 s."""
    version, cluster = postgres_cluster()
    process = await asyncio.create_subprocess_exec("pg_ctlcluster", "--skip-systemctl-redirect", version, cluster,
                                                   "restart", stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), 120)
    if process.returncode != 0:
        raise RuntimeError(f"pg_ctlcluster restart failed: {err.decode()[:300]}")
    return time.perf_counter()


SATURATION_HOLD_S = 8.0
SATURATION_BURST = 40


async def saturation(platform: Platform, stream: Stream, outcome: Outcome) -> float:
    """Booking's connection budget used up: the harness holds a lock on its bookings table for 8 s (a slow
    database), so every reservation keeps its connection, while 40 more clients than usual book at once.
    Requests that cannot get a connection within the pool timeout must be told 503 with Retry-After."""
    conn = await anext(connected(platform.settings["booking"].database_url))
    try:
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute("LOCK TABLE bookings IN EXCLUSIVE MODE")  # reads go on, writes wait
        before = stream.seen.statuses[503]
        stream.extra(SATURATION_BURST)  # they finish (and are checked) with the stream
        await asyncio.sleep(SATURATION_HOLD_S)
        await transaction.rollback()
    finally:
        await conn.close()
    outcome.notes.append(f"{stream.seen.statuses[503] - before} × 503 while the pool was used up")
    return time.perf_counter()


POISON_REASONS = {"malformed": "malformed envelope", "unknown": "no handler for booking.booking_teleported.v1",
                  "invalid": "invalid booking.booking_confirmed.v1 payload", "failing": "failed "}


async def poison_messages(platform: Platform, stream: Stream, outcome: Outcome) -> tuple[float, Poison]:
    """Four kinds of bad message on the run's exchange, each with a routing key a real queue takes: bytes
    that are no envelope (→ booking's payments queue), an event type nobody handles (→ billing's payments
    queue), a confirmation whose payload is invalid, and a valid confirmation for people notify has no
    address of, whose handler fails on every delivery (both → notify's messages queue)."""
    confirmed = BookingConfirmed(
        booking_id=uuid.uuid4(), client_id=uuid.uuid4(), therapist_id=uuid.uuid4(),
        starts_at=datetime.now(UTC) + timedelta(days=3), ends_at=datetime.now(UTC) + timedelta(days=3, minutes=50))
    failing = Envelope.wrap(confirmed)
    unknown = json.loads(Envelope.wrap(confirmed).model_dump_json()) | {"event_type": "booking.booking_teleported.v1"}
    invalid = json.loads(Envelope.wrap(confirmed).model_dump_json())
    invalid["payload"]["booking_id"] = "not a booking id"
    ids = {kind: str(uuid.uuid4()) for kind in POISON_REASONS}
    ids["failing"] = str(failing.event_id)
    sent = [("malformed", b'{"event_id": "broken', "billing.payment_captured.v1"),
            ("unknown", json.dumps(unknown).encode(), "booking.booking_requested.v1"),
            ("invalid", json.dumps(invalid).encode(), "booking.booking_confirmed.v1"),
            ("failing", failing.model_dump_json().encode(), "booking.booking_confirmed.v1")]
    connection = await aio_pika.connect(platform.env.servers.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(platform.env.exchange)
        for kind, body, routing_key in sent:
            await exchange.publish(aio_pika.Message(body, message_id=ids[kind], content_type="application/json",
                                                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT), routing_key,
                                   mandatory=True)
    where = {"malformed": platform.dlq("booking", "payments"), "unknown": platform.dlq("billing", "payments"),
             "invalid": platform.dlq("notify", "messages"), "failing": platform.dlq("notify", "messages")}
    poison: Poison = {}
    for kind, dlq in where.items():
        poison.setdefault(dlq, {})[ids[kind]] = POISON_REASONS[kind]
    await wait_dead_lettered(platform, poison)
    return time.perf_counter(), poison


async def wait_dead_lettered(platform: Platform, poison: Poison, timeout: float = 60) -> None:
    """Until each DLQ holds at least the poison sent to it (the failing handler takes its deliveries)."""
    connection = await aio_pika.connect(platform.env.servers.amqp_url)
    async with connection:
        channel = await connection.channel()
        deadline = time.monotonic() + timeout
        for dlq, messages in poison.items():
            while (await channel.declare_queue(dlq, passive=True)).declaration_result.message_count < len(messages):
                if time.monotonic() > deadline:
                    return  # the check names what is missing
                await asyncio.sleep(0.25)


# ------------------------------------------------------------------------------------------- scenarios

@dataclass
class Scenario:
    name: str
    fault: Callable[[Platform, Stream, Outcome], Awaitable[Any]]
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)


SCENARIOS = [
    Scenario("broker-restart", broker_down),
    Scenario("kill-billing", killed("billing")),
    Scenario("kill-booking", killed("booking")),
    Scenario("kill-relays", killed("booking-relay", "billing-relay")),
    Scenario("poison", poison_messages),
    Scenario("postgres-restart", postgres_restart),
    Scenario("saturation", saturation),
]


async def run(scenario: Scenario, *, concurrency: int = 5, warm_up: int = 5, tail_s: float = 3.0,
              slots_per_therapist: int = 60) -> Outcome:
    """One scenario from a clean platform to its figures; the platform is removed again whatever happens."""
    outcome = Outcome(scenario.name)
    platform = Platform(scenario.name, **scenario.overrides)
    phases: dict[str, float] = {}
    mark = time.monotonic()

    def phase(name: str) -> None:
        nonlocal mark
        phases[name] = time.monotonic() - mark
        mark = time.monotonic()

    try:
        await platform.up()
        phase("up")
        async with Stream(platform, concurrency=concurrency, slots_per_therapist=slots_per_therapist).open() as stream:
            phase("slots")
            stream.start()
            try:
                await stream.confirmed(warm_up)
                phase("warm-up")
                result = await scenario.fault(platform, stream, outcome)
                ended, poison = result if isinstance(result, tuple) else (result, None)
                phase("fault")
                outcome.recovery_s = await stream.recovery(ended)
                phase("recovery")
                await asyncio.sleep(tail_s)
            finally:
                await stream.stop()
                phase("tail+stop")
            await platform.ready()  # whatever was restarted is up again before the figures are read
            await check(platform, stream, outcome, poison)
            phase("checks")
    finally:
        await platform.down()
        phase("down")
        outcome.notes.append("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in phases.items()))
    return outcome
