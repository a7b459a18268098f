"""`make bench-booking`: paid bookings through the gateway, end to end.

Starts gateway, booking and billing (each service with its relay) as processes on this run's own
databases and queues. Therapists publish free slots; then for ``--seconds`` (default 20) ``--clients``
concurrent clients (default 32) each repeat the whole flow through the gateway on distinct slots:
reserve (with an Idempotency-Key) → wait for billing's payment → pay → wait until booking confirms (the
provider stub's signed webhook → billing → event → booking). A client waits as a front-end does, with one
``?wait=`` request per step that is answered when the change commits; ``--poll S`` makes it ask every S
seconds instead. Then one contention round: 200 clients reserve the same slot at once.

Printed last, as JSON: bookings_per_s (confirmed bookings per second), p50_ms / p99_ms (latency of the
HTTP requests of the flows through the gateway, but for those that wait for a change), double_bookings (slots confirmed twice,
from booking's database), errors_5xx, contention_winners (must be 1).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import httpx

from billing.settings import Settings as BillingSettings
from booking.settings import Settings as BookingSettings
from booking.testing import authorised_therapist, paid_booking
from gateway.settings import Settings as GatewaySettings
from kit import migrations
from kit.db import plain_dsn
from kit.testing import RunEnvironment, find_servers, free_port, terminate, wait_until_up
from kit.testing.tokens import TokenIssuer

ISSUER = TokenIssuer()


@dataclass
class Reply:
    status_code: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Stats:
    """The timed requests, sent with aiohttp: the load generator shares the machine with the services, and
    aiohttp costs it about a third of the CPU that httpx did."""

    def __init__(self) -> None:
        self.latencies: list[float] = []  # of the requests that do not wait for a change
        self.waiting = 0                  # requests that waited (their time is the flow's, below)
        self.errors_5xx = 0

    async def call(self, http: aiohttp.ClientSession, method: str, url: str, *, waits: bool = False,
                   **kwargs: Any) -> Reply:
        started = time.perf_counter()
        async with http.request(method, url, **kwargs) as response:
            reply = Reply(response.status, await response.read())
        if waits:
            self.waiting += 1
        else:
            self.latencies.append((time.perf_counter() - started) * 1000)
        if reply.status_code >= 500:
            self.errors_5xx += 1
        return reply


LOGS = Path(tempfile.gettempdir()) / "bench-booking-logs"


def start(name: str, settings, extra: list[str] | None = None) -> subprocess.Popen:
    """A service process; what it logs goes to ``LOGS/<name>[-<command>].log``, to read when a figure looks wrong."""
    env = RunEnvironment.env(None, settings, f"{name.upper()}_")  # type: ignore[arg-type]
    LOGS.mkdir(exist_ok=True)
    log = open(LOGS / f"{'-'.join([name, *(extra or [])])}.log", "w")  # noqa: SIM115 - the child keeps it
    return subprocess.Popen([sys.executable, "-m", name, *(extra or [])], env=env, stdout=log, stderr=subprocess.STDOUT)


@dataclass
class Flow:
    """One paid booking's times in ms from the reservation: the payment ready, paid (202), confirmed."""
    payment_ready: float
    paid: float
    confirmed: float


async def one_booking(http: aiohttp.ClientSession, stats: Stats, slot_id: str, poll: float | None) -> Flow | None:
    """One client's whole flow (booking.testing.paid_booking), every request timed by ``stats``."""
    done = await paid_booking(lambda method, url, **kwargs: stats.call(http, method, url, **kwargs),
                              ISSUER.headers(uuid.uuid4(), "client"), slot_id, poll=poll)
    if done.confirmed is None:
        return None
    return Flow(*((moment - done.started) * 1000 for moment in (done.payment_ready, done.paid, done.confirmed)))


async def bench(seconds: float, clients: int, poll: float | None) -> None:
    env = RunEnvironment(find_servers(), "k" + uuid.uuid4().hex[:8])
    ports = {name: free_port() for name in ("gateway", "booking", "billing")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    settings = {
        "booking": env.settings(BookingSettings, http_port=ports["booking"], jwt_public_key=ISSUER.public_pem,
                                database_pool_size=20, log_level="WARNING"),
        "billing": env.settings(BillingSettings, http_port=ports["billing"], jwt_public_key=ISSUER.public_pem,
                                stub_webhook_url=f"{urls['billing']}/webhooks/provider", database_pool_size=20,
                                payout_scheduler_enabled=False, log_level="WARNING"),
        "gateway": env.settings(GatewaySettings, http_port=ports["gateway"], log_level="WARNING",
                                services={"booking": urls["booking"], "billing": urls["billing"]}),
    }
    from billing.app import ROOT as billing_root
    from booking.app import ROOT as booking_root
    from gateway.app import ROOT as gateway_root

    for root, name in ((booking_root, "booking"), (billing_root, "billing"), (gateway_root, "gateway")):
        await migrations.upgrade(root, settings[name].database_url)
        consumers = importlib.import_module(f"{name}.subscribers").consumers
        env.track_queues(list(consumers.bindings(settings[name])))
    processes = [start(n, settings[n]) for n in settings] + [start(n, settings[n], ["relay"]) for n in ("booking", "billing")]
    try:
        for url in urls.values():
            await wait_until_up(url)
        limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
        async with httpx.AsyncClient(base_url=urls["gateway"], timeout=30, limits=limits) as http, \
                aiohttp.ClientSession(urls["gateway"], connector=aiohttp.TCPConnector(limit=400)) as timed:
            # enough free slots for 240 bookings/s, above the target of 200
            slots = await make_slots(http, therapists=40, per_therapist=max(50, int(seconds * 6)))
            print(f"{len(slots)} slots made; {clients} clients book for {seconds:.0f} s", flush=True)
            stats, flows = Stats(), []
            next_slot = count()
            deadline = time.perf_counter() + seconds

            async def client_loop() -> None:
                while time.perf_counter() < deadline:
                    flow = await one_booking(timed, stats, slots[next(next_slot)], poll)
                    if flow is not None:
                        flows.append(flow)

            started = time.perf_counter()
            await asyncio.gather(*(client_loop() for _ in range(clients)))
            elapsed = time.perf_counter() - started
            burst = Stats()  # the contention round's 200 simultaneous requests are timed apart from the flows
            winners = await contention(http, timed, burst)
        double = await double_bookings(settings["booking"])
    finally:
        terminate(*processes)
        await env.cleanup()

    latencies = sorted(stats.latencies)
    p50, p99 = statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]
    print(f"\n{len(flows)} paid bookings confirmed in {elapsed:.1f} s by {clients} concurrent clients through the gateway")
    print(f"  bookings/s {len(flows) / elapsed:.1f} (target ≥ 200)")
    print(f"  request latency through the gateway: p50 {p50:.1f} ms, p99 {p99:.1f} ms (target p99 ≤ 250 ms), "
          f"{len(latencies)} requests" + (f" (and {stats.waiting} that waited for a change)" if stats.waiting else ""))
    whole = sorted(f.confirmed for f in flows)
    print(f"  whole flow (reserve → confirmed): p50 {statistics.median(whole):.0f} ms, "
          f"p99 {whole[int(len(whole) * 0.99) - 1]:.0f} ms")
    print(f"    of which, p50: reserve → payment ready {statistics.median(f.payment_ready for f in flows):.0f} ms, "
          f"→ paid {statistics.median(f.paid - f.payment_ready for f in flows):.0f} ms, "
          f"→ confirmed {statistics.median(f.confirmed - f.paid for f in flows):.0f} ms "
          f"(the provider stub confirms after {settings['billing'].stub_confirm_delay_s * 1000:.0f} ms)")
    together = sorted(burst.latencies)
    print(f"  contention round: 200 reservations of one slot at once, answered in p50 {statistics.median(together):.0f} ms, "
          f"max {together[-1]:.0f} ms")
    print(f"  double bookings {double}, 5xx {stats.errors_5xx + burst.errors_5xx}, contention winners {winners} of 200\n")
    print(json.dumps({"bookings_per_s": round(len(flows) / elapsed, 1), "p50_ms": round(p50, 1), "p99_ms": round(p99, 1),
                      "double_bookings": double, "errors_5xx": stats.errors_5xx + burst.errors_5xx,
                      "contention_winners": winners}))


async def make_slots(http: httpx.AsyncClient, therapists: int, per_therapist: int) -> list[str]:
    base = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)

    async def for_therapist() -> list[str]:
        _, headers = await authorised_therapist(http, ISSUER, prefix="/api/booking")
        made = []
        for i in range(per_therapist):
            response = await http.post("/api/booking/slots", headers=headers, json={
                "starts_at": (base + timedelta(hours=i)).isoformat(), "price_minor": 95000, "video": True})
            if response.status_code != 201:
                raise SystemExit(f"making a slot failed: {response.status_code} {response.text} (service logs in {LOGS})")
            made.append(response.json()["id"])
        return made

    return [slot for group in await asyncio.gather(*(for_therapist() for _ in range(therapists))) for slot in group]


async def contention(http: httpx.AsyncClient, timed: aiohttp.ClientSession, stats: Stats) -> int:
    starts = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).isoformat()
    _, therapist = await authorised_therapist(http, ISSUER, prefix="/api/booking")
    slot = (await http.post("/api/booking/slots", headers=therapist,
                            json={"starts_at": starts, "price_minor": 95000, "video": True})).json()["id"]
    responses = await asyncio.gather(*(
        stats.call(timed, "POST", f"/api/booking/slots/{slot}/reservations", headers=ISSUER.headers(uuid.uuid4(), "client"))
        for _ in range(200)
    ))
    return sum(r.status_code == 201 for r in responses)


async def double_bookings(settings) -> int:
    conn = await asyncpg.connect(plain_dsn(settings.database_url))
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM (SELECT slot_id FROM bookings WHERE status = 'confirmed' GROUP BY slot_id HAVING count(*) > 1) d")
    finally:
        await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="paid bookings through the gateway")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--poll", type=float, default=None,
                        help="poll every this many seconds instead of waiting for the change (?wait=)")
    args = parser.parse_args()
    asyncio.run(bench(args.seconds, args.clients, args.poll))
