"""Issue 17, point 8, over real HTTP: a 5 MiB body is a 413 at the gateway (through /api/…) and at a service
directly, also when chunked; the gateway never forwards /api/<service>/dev/…; proxied answers keep the
security headers."""

from __future__ import annotations

import uuid

import httpx
import pytest

from booking.app import build as build_booking
from booking.settings import Settings as BookingSettings
from gateway.app import build as build_gateway
from gateway.settings import Settings as GatewaySettings
from kit.testing import free_port, running_service
from kit.testing.tokens import TokenIssuer

ISSUER = TokenIssuer()
MIB = 1024 * 1024
SLOT = uuid.uuid4()
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
async def stack(test_env):
    port = free_port()
    booking_settings = test_env.settings(BookingSettings, http_port=port, jwt_public_key=ISSUER.public_pem)
    dead = f"http://127.0.0.1:{free_port()}"  # a forwarded request would be a 503, never the 404 expected
    gateway_settings = test_env.settings(
        GatewaySettings, http_port=free_port(), services={"booking": f"http://127.0.0.1:{port}", "notify": dead})
    async with running_service(build_booking(booking_settings), test_env, http=True) as booking, \
            running_service(build_gateway(gateway_settings), test_env, http=True) as gateway:
        yield booking, gateway


async def _chunks():
    for _ in range(5):
        yield b"a" * MIB


@pytest.mark.parametrize("where", ["gateway", "service"])
async def test_a_5_mib_body_is_a_413(stack, where):
    booking, gateway = stack
    client, path = (gateway.client, f"/api/booking/slots/{SLOT}/bookings") if where == "gateway" \
        else (booking.client, f"/slots/{SLOT}/bookings")
    headers = ISSUER.headers(uuid.uuid4(), "client") | JSON
    big = await client.post(path, content=b"a" * (5 * MIB), headers=headers, timeout=30)
    assert big.status_code == 413 and big.json()["type"] == "/problems/payload-too-large"
    chunked = await client.post(path, content=_chunks(), headers=headers, timeout=30)
    assert chunked.status_code == 413 and chunked.json()["type"] == "/problems/payload-too-large"


@pytest.mark.parametrize("path", ["/api/notify/dev/sms", "/api/notify/dev/mail", "/api/notify/./dev/sms",
                                  "/api/notify/DEV/sms", "/api/notify/x/../dev/sms", "/api/notify/%64ev/sms"])
async def test_the_gateway_never_forwards_dev_routes(stack, path):
    _, gateway = stack
    async with httpx.AsyncClient() as raw:  # the path exactly as written, not normalised by the client
        response = await raw.send(raw.build_request("GET", httpx.URL(str(gateway.client.base_url)).copy_with(
            raw_path=path.encode())))
    assert response.status_code == 404 and response.json()["type"] == "/problems/not-found"


async def test_security_headers_on_a_service_and_a_proxied_answer(stack):
    booking, gateway = stack
    headers = ISSUER.headers(uuid.uuid4(), "client")
    for response in (await booking.client.get("/bookings", headers=headers),
                     await gateway.client.get("/api/booking/bookings", headers=headers)):
        assert response.status_code == 200
        assert response.headers["strict-transport-security"].startswith("max-age=")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers.get_list("x-content-type-options") == ["nosniff"]  # not doubled by the gateway
