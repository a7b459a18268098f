"""The gateway routes /api/<service>/… to the services and its readiness reports every one of them."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from booking.app import build as build_booking
from booking.settings import Settings as BookingSettings
from gateway.app import build as build_gateway
from gateway.settings import Settings as GatewaySettings
from kit.testing import free_port, running_service, wait_for
from kit.testing.tokens import TokenIssuer

ISSUER = TokenIssuer()


async def _read_request_then_hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A service that takes the request and closes the connection without answering (a crash mid-request)."""
    await reader.readuntil(b"\r\n\r\n")
    writer.close()


@pytest.fixture(scope="module")
async def routed(test_env):
    port = free_port()
    booking_settings = test_env.settings(BookingSettings, http_port=port, jwt_public_key=ISSUER.public_pem)
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    breaking = await asyncio.start_server(_read_request_then_hang_up, "127.0.0.1", 0)
    broken = f"http://127.0.0.1:{breaking.sockets[0].getsockname()[1]}"
    gateway_settings = test_env.settings(
        GatewaySettings, services={"booking": f"http://127.0.0.1:{port}", "billing": dead, "portal": broken})
    async with breaking, running_service(build_booking(booking_settings), test_env, http=True), \
            running_service(build_gateway(gateway_settings), test_env) as gateway:
        yield gateway


async def test_the_services_page_reports_each_service_and_the_gateways_readiness_is_its_own(routed):
    response = await routed.client.get("/health/services")
    body = response.json()
    assert response.status_code == 503  # billing is down, so the platform is not ready
    assert body["services"]["booking"]["status"] == "ready"
    assert body["services"]["booking"]["checks"] == {"database": True, "broker": True, "consumers": True, "keys": True}
    assert body["services"]["billing"]["status"] == "unreachable"
    assert body["services"]["portal"]["status"] == "unreachable"

    async def gateway_ready():  # its first background round has run
        return (await routed.client.get("/health/ready")).status_code == 200

    await wait_for(gateway_ready, what="the gateway ready although billing is down")
    assert set((await routed.client.get("/health/ready")).json()["checks"]) == {"database", "broker", "consumers", "keys"}


async def test_requests_reach_the_service_with_the_callers_token(routed):
    client = uuid.uuid4()
    headers = ISSUER.headers(client, "client") | {"X-Correlation-ID": "0b4f6c9e-9d8e-4c55-8a8e-2f1f0f3b6a11"}
    response = await routed.client.get("/api/booking/bookings", headers=headers)
    assert response.status_code == 200 and response.json() == []
    assert response.headers["x-correlation-id"] == "0b4f6c9e-9d8e-4c55-8a8e-2f1f0f3b6a11"
    refused = await routed.client.get("/api/booking/bookings")
    assert refused.status_code == 401 and refused.json()["type"] == "/problems/unauthorized"
    forged = await routed.client.get("/api/booking/bookings", headers=TokenIssuer().headers(client, "client"))
    assert forged.status_code == 401


async def test_unknown_and_unreachable_services(routed):
    unknown = await routed.client.get("/api/nowhere/anything")
    assert unknown.status_code == 404 and unknown.json()["type"] == "/problems/not-found"
    started = time.monotonic()
    down = await routed.client.get("/api/billing/payments/x")
    assert down.status_code == 503 and down.json()["type"] == "/problems/service-unavailable"
    assert down.headers["retry-after"] == "1"  # a client knows when to try again
    assert time.monotonic() - started < 2.0  # fast, not a hang


async def test_a_service_that_breaks_off_the_connection_gives_a_502_problem(routed):
    response = await routed.client.post("/api/portal/reports", json={"title": "anything"})
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "/problems/bad-gateway"
    assert "portal" in response.json()["detail"]



async def test_the_query_reaches_the_service_exactly_as_encoded(routed):
    # "+01:00" must arrive as a plus, not as a space, or the time would be refused
    therapist = uuid.uuid4()
    headers = ISSUER.headers(uuid.uuid4(), "client")
    url = f"/api/booking/therapists/{therapist}/slots?from=2027-01-04T08:00:00%2B01:00&to=2027-01-11T08:00:00%2B01:00"
    response = await routed.client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == []
    garbled = await routed.client.get(f"/api/booking/therapists/{therapist}/slots?from=not-a-time", headers=headers)
    assert garbled.status_code == 422
    assert garbled.headers["content-type"].startswith("application/problem+json")
