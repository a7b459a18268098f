"""Issue 20, point 5 and 3: readiness a load balancer can use, and the gateway's keys there before it.

- a service whose token keys come from the gateway's JWKS is not ready until it has them, and then the
  first tokens pass;
- `/health/ready` answers at once from the background round, even while a check hangs;
- the outbox age is read when `/metrics` is scraped, not from a copy a few seconds old.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import jwt
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from kit.service import Service
from kit.settings import ServiceSettings
from kit.testing import fake_api, fetch, running_service, wait_for
from kit.testing.sample import consumers, create_tables
from kit.testing.tokens import TokenIssuer

HERE = Path(__file__).parent


async def test_a_service_is_ready_only_with_the_gateways_keys_and_then_takes_the_first_tokens(test_env):
    issuer = TokenIssuer()
    gateway, up = FastAPI(), asyncio.Event()

    @gateway.get("/.well-known/jwks.json")
    async def jwks() -> JSONResponse:
        if not up.is_set():
            return JSONResponse({"detail": "starting"}, status_code=503)
        jwk = jwt.PyJWK.from_json(jwt.algorithms.OKPAlgorithm.to_jwk(issuer.private_key.public_key()))
        return JSONResponse({"keys": [{**jwk._jwk_data, "kid": "test", "alg": "EdDSA"}]})

    async with fake_api(gateway) as url:
        settings = test_env.settings(ServiceSettings, service_name="kitkeys", jwt_public_key="",
                                     jwt_jwks_url=f"{url}/.well-known/jwks.json")
        await create_tables(settings.database_url)
        async with running_service(Service(settings, root=HERE, consumers=consumers), test_env, relay=False,
                                   migrate=False) as svc:
            refused = await svc.client.get("/health/ready")
            assert refused.status_code == 503
            assert refused.json()["checks"]["keys"] is False
            assert refused.json()["checks"]["database"] is True

            up.set()  # the gateway has started

            async def ready():
                return (await svc.client.get("/health/ready")).status_code == 200

            await wait_for(ready, what="ready once the gateway's keys are fetched")
            account = uuid.uuid4()
            answers = await asyncio.gather(*(svc.client.get("/whoami", headers=issuer.headers(account, "client"))
                                             for _ in range(10)))
            assert [a.status_code for a in answers] == [200] * 10
            assert answers[0].json()["account_id"] == str(account)


async def test_readiness_answers_at_once_while_a_check_hangs(test_env):
    async def hanging_ready(app: FastAPI) -> dict:
        await asyncio.sleep(30)  # a downstream system that does not answer
        return {"hanging": True}

    settings = test_env.settings(ServiceSettings, service_name="kithang")
    await create_tables(settings.database_url)
    service = Service(settings, root=HERE, consumers=consumers, ready_checks=[hanging_ready])
    async with running_service(service, test_env, relay=False, migrate=False) as svc:
        slowest = 0.0
        for _ in range(20):
            started = time.monotonic()
            response = await svc.client.get("/health/ready")
            slowest = max(slowest, time.monotonic() - started)
            assert response.status_code == 503
            assert response.json()["checks"] == {"database": True, "broker": True, "consumers": True, "keys": True,
                                                 "hanging": False}
        assert slowest < 0.2, f"a probe waited {slowest:.3f} s"


async def test_the_outbox_age_is_read_when_scraped(test_env):
    settings = test_env.settings(ServiceSettings, service_name="kitage")
    await create_tables(settings.database_url)
    async with running_service(Service(settings, root=HERE, consumers=consumers), test_env, relay=False,
                               migrate=False) as svc:
        event_id = uuid.uuid4()
        await fetch(settings, "INSERT INTO outbox (event_id, event_type, routing_key, body, created_at) "
                              "VALUES ($1, 'kit.thing_happened.v1', 'kit.thing_happened.v1', '{}', now() - interval '40 seconds')",
                    event_id)

        def age(body: str) -> float:
            line = next(line for line in body.splitlines()
                        if line.startswith("kit_outbox_oldest_age_seconds") and 'service="kitage"' in line)
            return float(line.rsplit(" ", 1)[1])

        assert 40 <= age((await svc.client.get("/metrics")).text) < 100  # seen at the first scrape
        await fetch(settings, "UPDATE outbox SET created_at = now() - interval '100 seconds' WHERE event_id = $1", event_id)
        assert age((await svc.client.get("/metrics")).text) >= 100  # and again at the next: no copy in between
