"""Test support: ``running_platform``, the real thing: logistics and billing behind the gateway, seeded with kit.demo's cast by the gateway's own seed, where people
sign in as they do (SITHS development certificate; password and the SMS code) and aid-centre staff grant and
revoke through the gateway's ``/directory`` API; and the text of a printout. Used by the cross-service tests
(the logistics feature tests in tests/ run on the shared platform that `make run` starts instead, #19).
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from kit.db import Database
from kit.demo import BY_USERNAME, ORGANISATIONS, PASSWORD, demo_id
from kit.testing import (
    RunEnvironment,
    RunningService,
    free_port,
    probe,
    running_service,
    wait_for,
)
from logistics.app import build
from logistics.demo import load
from logistics.settings import Settings

#: kit.demo's organisations by key: unit.1a, unit.1b, store.1 (K1201) of municipality.1; unit.2a, … of municipality.2
ORG = {o.key: o for o in ORGANISATIONS}


async def load_catalogue(settings: Settings) -> None:
    """The demo catalogue, warehouses and stock (logistics' own seed)."""
    db = Database(settings.database_url, pool_size=2)
    try:
        async with db.transaction() as session:
            await load(session)
    finally:
        await db.dispose()


async def until(check: Callable[[], Awaitable[httpx.Response]], status: int = 200, what: str = "the grant") -> httpx.Response:
    """Poll an API call until it answers ``status`` (a grant takes effect once its event is handled)."""
    async def answered() -> httpx.Response | None:
        response = await check()
        return response if response.status_code == status else None

    return await wait_for(answered, timeout=20, interval=0.1, what=what)


#: kit.demo's people of the logistics side and their first-login settings (LG-1) in logistics: the default
#: service unit and their own buffer store; orders come from the aid centre unless a test says otherwise
FIRST_LOGIN = {
    "demo.prescriber": {"default_source": "aid_centre", "service_unit_id": str(demo_id("unit.1a")), "own_stores": ["K1201"]},
    "demo.prescriber2": {"default_source": "aid_centre", "service_unit_id": str(demo_id("unit.2a")), "own_stores": ["K1202"]},
}
DIRECTORY = "/directory/organisations"


@dataclass
class Platform:
    """The gateway in front of logistics (and billing), seeded with kit.demo's cast. ``gateway``, ``logistics``
    and ``billing`` are HTTP clients of the gateway (the last two at /api/logistics and /api/billing); the
    services themselves (their settings and apps) are ``logistics_service`` and ``billing_service``."""

    env: RunEnvironment
    gateway: httpx.AsyncClient
    logistics: httpx.AsyncClient
    billing: httpx.AsyncClient
    logistics_service: RunningService
    billing_service: RunningService | None
    signed_in: dict[str, dict[str, str]] = field(default_factory=dict)

    async def siths(self, username: str) -> dict[str, str]:
        """A SITHS login with the person's card (a development certificate with their HSA-ID): the headers."""
        from gateway.devca import siths_headers

        someone = BY_USERNAME[username]
        assert someone.hsa_id, f"{username} has no SITHS card"
        login = await self.gateway.post("/identity/siths/login", headers=siths_headers(someone.hsa_id, someone.display_name))
        assert login.status_code == 200, login.text
        return {"Authorization": f"Bearer {login.json()['access_token']}"}

    async def password(self, username: str, secret: str = PASSWORD) -> dict[str, str]:
        """Username and password, then the SMS code the person is sent (read from the event notify texts)."""
        async with probe(self.env, "gateway.login_code_requested.v1") as codes:
            started = await self.gateway.post("/identity/password/login", json={"username": username, "password": secret})
            assert started.status_code == 200, started.text
            attempt = started.json()["attempt_id"]
            while (sent := json.loads((await codes.next()).body)["payload"])["attempt_id"] != attempt:
                pass
        tokens = await self.gateway.post("/identity/password/code", json={"attempt_id": attempt, "code": sent["code"]})
        assert tokens.status_code == 200, tokens.text
        return {"Authorization": f"Bearer {tokens.json()['access_token']}"}

    async def person(self, username: str) -> dict[str, str]:
        """The person signed in the way kit.demo says (SITHS card, else password + SMS code), once per platform."""
        if username not in self.signed_in:
            card = BY_USERNAME[username].hsa_id
            self.signed_in[username] = await (self.siths(username) if card else self.password(username))
        return self.signed_in[username]

    async def grant(self, staff: dict[str, str], username: str, organisation: str, role: str) -> None:
        """``staff`` (aid-centre staff) grant ``username`` ``role`` in ``organisation`` (a kit.demo key)."""
        answer = await self.gateway.post(f"{DIRECTORY}/{demo_id(organisation)}/members", headers=staff,
                                         json={"account_id": str(demo_id(username)), "role": role})
        assert answer.status_code in (200, 201), answer.text

    async def revoke(self, staff: dict[str, str], username: str, organisation: str, role: str) -> None:
        answer = await self.gateway.delete(f"{DIRECTORY}/{demo_id(organisation)}/members/{demo_id(username)}/{role}",
                                           headers=staff)
        assert answer.status_code == 204, answer.text

    async def first_login(self, username: str, **settings: Any) -> dict[str, str]:
        """A prescriber signed in who makes their first-login settings (``settings`` overrides kit.demo's),
        retried until logistics' copy of the directory has their grants."""
        me = await self.person(username)
        body = FIRST_LOGIN[username] | settings
        await until(lambda: self.logistics.put("/prescribers/me/settings", headers=me, json=body),
                    what=f"{username}'s grants in logistics")
        return me


@asynccontextmanager
async def running_platform(test_env: RunEnvironment, name: str, *, billing: bool = True) -> AsyncIterator[Platform]:
    """Logistics (with the demo catalogue) and billing on real HTTP behind the gateway, which trusts the test
    SITHS CA behind a proxy on 127.0.0.1 and signs the tokens the services verify with its published keys
    (JWKS). The gateway seeds kit.demo's cast once the services' queues listen; returns once the demo
    prescribers have made their first-login settings. Databases are ``<service>_<name>``."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from billing.app import build as build_billing
    from billing.settings import Settings as BillingSettings
    from gateway.app import build as build_gateway
    from gateway.devca import ca_for_tests
    from gateway.seed import seed_demo
    from gateway.settings import Settings as GatewaySettings

    gateway_port, logistics_port, billing_port = free_port(), free_port(), free_port()
    # the services verify the gateway's tokens with its published keys and hear of ended sessions from it; small
    # pools, as the shared database serves other runs too
    common = {"jwt_public_key": "", "jwt_jwks_url": f"http://127.0.0.1:{gateway_port}/.well-known/jwks.json",
              "sessions_ended_url": f"http://127.0.0.1:{gateway_port}/identity/sessions/ended",
              "database_pool_size": 3, "database_max_overflow": 2}
    services = {"logistics": f"http://127.0.0.1:{logistics_port}"} | (
        {"billing": f"http://127.0.0.1:{billing_port}"} if billing else {})
    key = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption()).decode()
    gateway_settings = test_env.settings(GatewaySettings, database=f"gateway_logistics_{name}", http_port=gateway_port,
                                         services=services, trusted_proxies=["127.0.0.1"], signing_key_pem=key,
                                         siths_ca_bundle=ca_for_tests().pem, codes_per_ip_per_10_min=1000,
                                         codes_per_account_per_10_min=100, database_pool_size=3, database_max_overflow=2)
    logistics_settings = test_env.settings(Settings, database=f"logistics_{name}", http_port=logistics_port,
                                           partner_exchange=f"partner.logistics.{test_env.run_id}", **common)
    async with AsyncExitStack() as stack:
        # the gateway first (the services ask it for keys and ended sessions), its seed once the services listen
        gateway = await stack.enter_async_context(running_service(build_gateway(gateway_settings), test_env, http=True))
        logistics_service = await stack.enter_async_context(running_service(build(logistics_settings), test_env, http=True))
        await load_catalogue(logistics_settings)
        billing_service = None
        if billing:
            billing_settings = test_env.settings(BillingSettings, database=f"billing_{name}", http_port=billing_port, **common)
            billing_service = await stack.enter_async_context(running_service(build_billing(billing_settings), test_env, http=True))
        async with gateway.app.state.db.transaction() as session:
            await seed_demo(session, gateway_settings)
        base = f"http://127.0.0.1:{gateway_port}"
        platform = Platform(
            env=test_env, gateway=gateway.client, logistics_service=logistics_service, billing_service=billing_service,
            logistics=await stack.enter_async_context(httpx.AsyncClient(base_url=f"{base}/api/logistics", timeout=30)),
            billing=await stack.enter_async_context(httpx.AsyncClient(base_url=f"{base}/api/billing", timeout=30)))
        for username in FIRST_LOGIN:
            await platform.first_login(username)
        yield platform


def pdf_text(content: bytes) -> str:
    """The text of every page of a printout."""
    from pypdf import PdfReader  # a test dependency

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
