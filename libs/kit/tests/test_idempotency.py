"""Idempotency-Key: a retried request has its effect once and gets the first answer."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import insert

from kit.idempotency import IdempotencyKey, idempotent
from kit.service import DbSession, Service
from kit.testing import fetch, running_service
from kit.testing.sample import effects

router = APIRouter()


class Order(BaseModel):
    note: str


@router.post("/orders", status_code=201)
async def create_order(body: Order, session: DbSession, key: IdempotencyKey = None):
    async def run() -> dict:
        order_id = uuid.uuid4()
        await session.execute(insert(effects).values(event_id=order_id, note=body.note))
        await asyncio.sleep(0.05)  # widen the window in which concurrent retries overlap
        return {"order_id": str(order_id), "note": body.note}

    return await idempotent(session, key, scope="orders:anyone", request=body, run=run, status_code=201)


async def count(settings, note: str) -> int:
    return (await fetch(settings, "SELECT count(*) AS n FROM effects WHERE note = $1", note))[0]["n"]


async def test_retry_with_the_same_key_replays_the_first_answer(test_env, kit_settings):
    service = Service(kit_settings, root=Path(__file__).parent, routers=[router])
    async with running_service(service, test_env, relay=False, migrate=False) as svc:
        headers = {"Idempotency-Key": "k-1"}
        first = await svc.client.post("/orders", json={"note": "idem-1"}, headers=headers)
        again = await svc.client.post("/orders", json={"note": "idem-1"}, headers=headers)
        other_body = await svc.client.post("/orders", json={"note": "something else"}, headers=headers)
        no_key = [await svc.client.post("/orders", json={"note": "idem-nokey"}) for _ in range(2)]

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert await count(kit_settings, "idem-1") == 1
    assert other_body.status_code == 422 and other_body.json()["type"] == "/problems/idempotency-key-reused"
    assert [r.status_code for r in no_key] == [201, 201], no_key[0].text
    assert await count(kit_settings, "idem-nokey") == 2


async def test_concurrent_requests_with_one_key_have_one_effect(test_env, kit_settings):
    service = Service(kit_settings, root=Path(__file__).parent, routers=[router])
    async with running_service(service, test_env, relay=False, migrate=False) as svc:
        responses = await asyncio.gather(
            *(svc.client.post("/orders", json={"note": "idem-race"}, headers={"Idempotency-Key": "race"}) for _ in range(10))
        )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["order_id"] for r in responses}) == 1
    assert await count(kit_settings, "idem-race") == 1
