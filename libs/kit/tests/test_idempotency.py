"""Idempotency-Key: a retried request has its effect once and gets the first answer."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from kit.idempotency import IdempotencyKey, idempotent
from kit.problems import Problem
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


# -- a route that calls an outside system: the attempt is recorded before the call ---------------------------
crash_after_outside_call = asyncio.Event()  # set: the request dies after the outside call, before its commit


async def outside_charge(session, note: str) -> None:
    """The outside system: its effect commits on its own, whatever happens to the request's transaction
    (and it holds none of the service's pooled connections)."""
    engine = create_async_engine(session.bind.url, poolclass=NullPool)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(effects).values(event_id=uuid.uuid4(), note=f"charged:{note}"))
    finally:
        await engine.dispose()


@router.post("/charges", status_code=202)
async def charge(body: Order, session: DbSession, key: IdempotencyKey = None):
    async def run() -> dict:
        if body.note.startswith("refused"):
            raise Problem(422, "charge-refused", "the outside system refused the charge")
        await outside_charge(session, body.note)
        await asyncio.sleep(0.05)  # widen the window in which concurrent retries overlap
        if crash_after_outside_call.is_set():
            raise RuntimeError("the request dies between the outside call and its commit")
        await session.execute(insert(effects).values(event_id=uuid.uuid4(), note=f"recorded:{body.note}"))
        return {"note": body.note, "state": "charged"}

    async def recover() -> dict | None:
        charged = (await session.execute(select(func.count()).where(effects.c.note == f"charged:{body.note}"))).scalar()
        return {"note": body.note, "state": "charged"} if charged else None

    return await idempotent(session, key, scope="charges:anyone", request=body, run=run, recover=recover,
                            status_code=202)


async def test_retry_after_dying_past_the_outside_call_answers_from_the_state(test_env, kit_settings):
    service = Service(kit_settings, root=Path(__file__).parent, routers=[router])
    async with running_service(service, test_env, relay=False, migrate=False) as svc:
        headers = {"Idempotency-Key": "c-1"}
        crash_after_outside_call.set()
        try:
            died = await svc.client.post("/charges", json={"note": "idem-crash"}, headers=headers)
            assert died.status_code == 500
        except RuntimeError:
            pass  # the in-memory transport hands the app's exception on
        finally:
            crash_after_outside_call.clear()
        retried = await svc.client.post("/charges", json={"note": "idem-crash"}, headers=headers)
        again = await svc.client.post("/charges", json={"note": "idem-crash"}, headers=headers)
        other_body = await svc.client.post("/charges", json={"note": "something else"}, headers=headers)

    assert retried.status_code == 202 and retried.headers["idempotent-replayed"] == "true", retried.text
    assert retried.json() == again.json() == {"note": "idem-crash", "state": "charged"}
    assert again.headers["idempotent-replayed"] == "true"
    assert other_body.status_code == 422 and other_body.json()["type"] == "/problems/idempotency-key-reused"
    assert await count(kit_settings, "charged:idem-crash") == 1  # the outside system was asked once
    assert await count(kit_settings, "recorded:idem-crash") == 0  # the dead request's own effects rolled back


async def test_concurrent_requests_with_one_key_call_the_outside_system_once(test_env, kit_settings):
    service = Service(kit_settings, root=Path(__file__).parent, routers=[router])
    async with running_service(service, test_env, relay=False, migrate=False) as svc:
        responses = await asyncio.gather(
            *(svc.client.post("/charges", json={"note": "idem-charge-race"}, headers={"Idempotency-Key": "charge-race"})
              for _ in range(10))
        )
    assert {r.status_code for r in responses} == {202}
    assert sum("idempotent-replayed" not in r.headers for r in responses) == 1
    assert await count(kit_settings, "charged:idem-charge-race") == 1
    assert await count(kit_settings, "recorded:idem-charge-race") == 1


async def test_a_refused_attempt_leaves_the_key_free(test_env, kit_settings):
    service = Service(kit_settings, root=Path(__file__).parent, routers=[router])
    async with running_service(service, test_env, relay=False, migrate=False) as svc:
        headers = {"Idempotency-Key": "c-refused"}
        refused = await svc.client.post("/charges", json={"note": "refused-once"}, headers=headers)
        corrected = await svc.client.post("/charges", json={"note": "idem-corrected"}, headers=headers)
    assert refused.status_code == 422 and refused.json()["type"] == "/problems/charge-refused"
    assert corrected.status_code == 202 and "idempotent-replayed" not in corrected.headers
    assert await count(kit_settings, "charged:idem-corrected") == 1
