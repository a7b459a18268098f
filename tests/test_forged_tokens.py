"""A token signed RS256 or ES256 carrying the gateway's real key id is refused with 401 (never a 500) at
every service, the gateway's own routes included; a genuine token of the same key passes. The five
services fetch the real gateway's JWKS over HTTP, as in production."""

from __future__ import annotations

import time
import uuid
from contextlib import AsyncExitStack

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from billing.app import build as build_billing
from billing.settings import Settings as BillingSettings
from booking.app import build as build_booking
from booking.settings import Settings as BookingSettings
from gateway.app import build as build_gateway
from gateway.settings import Settings as GatewaySettings
from kit.testing import free_port, running_service
from kit.testing.tokens import TokenIssuer
from logistics.app import build as build_logistics
from logistics.settings import Settings as LogisticsSettings
from notify.app import build as build_notify
from notify.settings import Settings as NotifySettings
from portal.app import build as build_portal
from portal.settings import Settings as PortalSettings

KEY = TokenIssuer()
SERVICES = {"booking": (build_booking, BookingSettings), "billing": (build_billing, BillingSettings),
            "portal": (build_portal, PortalSettings), "logistics": (build_logistics, LogisticsSettings),
            "notify": (build_notify, NotifySettings)}


@pytest.fixture(scope="module")
async def fleet(test_env):
    port = free_port()
    jwks_url = f"http://127.0.0.1:{port}/.well-known/jwks.json"
    async with AsyncExitStack() as stack:
        running = {"gateway": await stack.enter_async_context(running_service(build_gateway(test_env.settings(
            GatewaySettings, http_port=port, signing_key_pem=KEY.private_pem)), test_env, http=True, relay=False))}
        for name, (build, settings) in SERVICES.items():
            service = build(test_env.settings(settings, jwt_public_key="", jwt_jwks_url=jwks_url))
            running[name] = await stack.enter_async_context(running_service(service, test_env, relay=False))
        kid = (await running["gateway"].client.get("/.well-known/jwks.json")).json()["keys"][0]["kid"]
        yield running, kid


def forged(algorithm: str, kid: str) -> str:
    if algorithm == "EdDSA":
        key = KEY.private_key  # the genuine signing key
    else:
        key = rsa.generate_private_key(65537, 2048) if algorithm == "RS256" else ec.generate_private_key(ec.SECP256R1())
    now = int(time.time())
    claims = {"sub": str(uuid.uuid4()), "roles": ["admin"], "typ": "access", "iss": KEY.issuer,
              "aud": KEY.audience, "iat": now, "exp": now + 300, "sid": uuid.uuid4().hex}
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": kid})


@pytest.mark.parametrize("algorithm", ["RS256", "ES256"])
async def test_a_forged_token_with_the_real_kid_is_401_everywhere(fleet, algorithm):
    running, kid = fleet
    headers = {"Authorization": f"Bearer {forged(algorithm, kid)}"}
    for name, service in running.items():
        response = await service.client.get("/whoami", headers=headers)
        assert response.status_code == 401, (name, response.text)
        assert response.json()["detail"] == "the token's algorithm does not match its key", name
    own = await running["gateway"].client.get("/identity/me", headers=headers)
    assert own.status_code == 401, own.text


async def test_a_genuine_token_of_the_same_key_passes_everywhere(fleet):
    running, kid = fleet
    headers = {"Authorization": f"Bearer {forged('EdDSA', kid)}"}
    for name, service in running.items():
        assert (await service.client.get("/whoami", headers=headers)).status_code == 200, name
