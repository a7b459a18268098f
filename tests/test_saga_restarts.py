"""The paid-booking saga survives a restart of booking, of billing, or of RabbitMQ in the middle, and
completes once: one confirmed booking, one capture, one payment."""

from __future__ import annotations

import asyncio
import importlib
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from billing.app import ROOT as BILLING_ROOT
from billing.settings import Settings as BillingSettings
from booking.app import ROOT as BOOKING_ROOT
from booking.settings import Settings as BookingSettings
from booking.testing import authorised_therapist
from kit import migrations
from kit.testing import fetch, free_port, wait_for
from kit.testing.tokens import TokenIssuer

ISSUER = TokenIssuer()


class Platform:
    """booking and billing as real processes (service + relay each), restartable one by one."""

    def __init__(self, test_env, tag: str) -> None:
        self.env = test_env
        self.ports = {"booking": free_port(), "billing": free_port()}
        self.settings = {
            "booking": test_env.settings(BookingSettings, database=f"booking_{tag}", jwt_public_key=ISSUER.public_pem,
                                         http_port=self.ports["booking"], hold_minutes=10),
            "billing": test_env.settings(BillingSettings, database=f"billing_{tag}", jwt_public_key=ISSUER.public_pem,
                                         http_port=self.ports["billing"], payout_scheduler_enabled=False,
                                         stub_webhook_url=f"http://127.0.0.1:{self.ports['billing']}/webhooks/provider"),
        }
        for name, settings in self.settings.items():
            consumers = importlib.import_module(f"{name}.subscribers").consumers
            test_env.track_queues(list(consumers.bindings(settings)))
        self.processes: dict[str, list[subprocess.Popen]] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    async def start(self, name: str) -> None:
        env = self.env.env(self.settings[name], f"{name.upper()}_")
        self.processes[name] = [subprocess.Popen([sys.executable, "-m", name], env=env),
                                subprocess.Popen([sys.executable, "-m", name, "relay"], env=env)]
        await wait_for(lambda: self.ready(name), timeout=60, what=f"{name} to be ready")

    async def ready(self, name: str) -> bool:
        try:
            async with httpx.AsyncClient(timeout=1) as client:
                return (await client.get(f"{self.url(name)}/health/ready")).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self, name: str) -> None:
        for process in self.processes.pop(name):
            process.send_signal(signal.SIGKILL)
            process.wait(10)

    def stop_all(self) -> None:
        for name in list(self.processes):
            for process in self.processes.pop(name):
                process.send_signal(signal.SIGTERM)
                process.wait(20)


@pytest.fixture
async def platform(test_env, request):
    tag = request.node.name.rsplit("[", 1)[-1].rstrip("]")
    platform = Platform(test_env, tag)
    await migrations.upgrade(BOOKING_ROOT, platform.settings["booking"].database_url)
    await migrations.upgrade(BILLING_ROOT, platform.settings["billing"].database_url)
    await platform.start("booking")
    await platform.start("billing")
    yield platform
    platform.stop_all()


async def rabbitmq(command: str) -> None:
    process = await asyncio.create_subprocess_exec("rabbitmqctl", command, stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.DEVNULL)
    assert await process.wait() == 0, f"rabbitmqctl {command} failed"


@pytest.mark.slow
@pytest.mark.parametrize("restart", ["booking", "billing", "rabbitmq"])
async def test_saga_completes_once_across_a_restart(platform, restart):
    client = ISSUER.headers(uuid.uuid4(), "client")
    async with httpx.AsyncClient(timeout=10) as http:
        _, therapist = await authorised_therapist(http, ISSUER, prefix=platform.url("booking"))
        starts = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
        slot = (await http.post(f"{platform.url('booking')}/slots", headers=therapist,
                                json={"starts_at": starts, "price_minor": 70000, "video": True})).json()
        reserved = await http.post(f"{platform.url('booking')}/slots/{slot['id']}/reservations",
                                   headers=client | {"Idempotency-Key": "r1"})
        booking_id = reserved.json()["id"]

        async def payment():
            response = await http.get(f"{platform.url('billing')}/payments/by-booking/{booking_id}", headers=client)
            return response.json() if response.status_code == 200 else None

        paid = await wait_for(payment, timeout=30, what="the payment")

        # the middle of the saga: the payment exists, the client pays, and something restarts
        if restart == "rabbitmq":
            await rabbitmq("stop_app")
            pay = await http.post(f"{platform.url('billing')}/payments/{paid['id']}/pay", headers=client | {"Idempotency-Key": "p1"},
                                  json={"payment_method": "stub_card_ok"})
            await asyncio.sleep(1.0)  # the broker stays down while billing captures and queues its event
            await rabbitmq("start_app")
        else:
            pay = await http.post(f"{platform.url('billing')}/payments/{paid['id']}/pay", headers=client | {"Idempotency-Key": "p1"},
                                  json={"payment_method": "stub_card_ok"})
            platform.kill(restart)
            await platform.start(restart)
        assert pay.status_code == 202

        async def confirmed():
            try:
                response = await http.get(f"{platform.url('booking')}/bookings/{booking_id}", headers=client)
            except httpx.HTTPError:
                return None
            return response.status_code == 200 and response.json()["status"] == "confirmed"

        await wait_for(confirmed, timeout=90, what="the booking to be confirmed")
        for name in ("booking", "billing"):
            await wait_for(lambda n=name: platform.ready(n), timeout=60, what=f"{name} ready again")

    billing, booking = platform.settings["billing"], platform.settings["booking"]
    assert (await fetch(billing, "SELECT count(*) AS n FROM payments"))[0]["n"] == 1
    assert (await fetch(billing, "SELECT count(*) AS n FROM money_movements WHERE kind = 'capture'"))[0]["n"] == 1
    assert (await fetch(booking, "SELECT count(*) AS n FROM bookings WHERE status = 'confirmed'"))[0]["n"] == 1
    confirmations = await fetch(booking, "SELECT count(*) AS n FROM outbox WHERE event_type = 'booking.booking_confirmed.v1'")
    assert confirmations[0]["n"] == 1
