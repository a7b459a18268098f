"""Problem details, correlation ids and paging, as a client of any service sees them."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import text

from kit.pagination import Page, PageParams, paginate
from kit.problems import conflict
from kit.service import DbSession, Service
from kit.settings import ServiceSettings
from kit.testing import RunEnvironment, running_service

router = APIRouter()


class Weights(BaseModel):
    area: str = Field(min_length=1)
    weight: int = Field(ge=0, le=10)


@router.post("/weights")
async def save(body: Weights) -> Weights:
    return body


@router.post("/taken")
async def taken() -> None:
    raise conflict("slot-taken", "The slot is already booked", slot_id="s-1")


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internal detail")


@router.post("/duplicate")
async def duplicate(session: DbSession) -> None:
    await session.execute(text("INSERT INTO inbox (consumer, event_id, event_type) VALUES ('x', gen_random_uuid(), 't')"))
    await session.execute(text("INSERT INTO inbox (consumer, event_id, event_type) SELECT consumer, event_id, event_type FROM inbox WHERE consumer = 'x'"))


class Note(BaseModel):
    text: str


@router.post("/notes", status_code=201)
async def write_note(body: Note, session: DbSession) -> None:
    await session.execute(text("INSERT INTO inbox (consumer, event_id, event_type) VALUES ('note', gen_random_uuid(), 't')"))
    await session.execute(text("INSERT INTO inbox (consumer, event_id, event_type) VALUES (:t, gen_random_uuid(), 't')"),
                          {"t": body.text})


class InboxRow(BaseModel):
    consumer: str


@router.get("/rows")
async def rows(session: DbSession, page: PageParams) -> Page[InboxRow]:
    from sqlalchemy import select

    from kit.schema import inbox

    query = select(inbox.c.consumer).where(inbox.c.consumer.like("page-%")).order_by(inbox.c.consumer)
    return await paginate(session, query, page, lambda consumer: InboxRow(consumer=consumer))


async def client_for(test_env: RunEnvironment, kit_settings: ServiceSettings):
    service = Service(kit_settings, root=Path(__file__).parent, routers=[router])
    return running_service(service, test_env, relay=False, migrate=False)


async def test_invalid_body_is_a_422_problem_naming_the_field(test_env, kit_settings):
    async with await client_for(test_env, kit_settings) as svc:
        response = await svc.client.post("/weights", json={"area": "sleep", "weight": 11})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/validation-error"
    assert "body.weight" in problem["detail"] and "less than or equal to 10" in problem["detail"]
    assert problem["errors"][0]["field"] == "body.weight"


async def test_conflict_problem_carries_its_type_and_extras(test_env, kit_settings):
    async with await client_for(test_env, kit_settings) as svc:
        response = await svc.client.post("/taken", headers={"X-Correlation-ID": "6f1c6e2e-7d43-4d57-9a55-0a4a3b1e2f10"})
    assert response.status_code == 409
    assert response.json() == {
        "type": "/problems/slot-taken", "title": "Conflict", "status": 409,
        "detail": "The slot is already booked", "instance": "/taken",
        "correlation_id": "6f1c6e2e-7d43-4d57-9a55-0a4a3b1e2f10", "slot_id": "s-1",
    }
    assert response.headers["x-correlation-id"] == "6f1c6e2e-7d43-4d57-9a55-0a4a3b1e2f10"


async def test_integrity_violation_is_a_409_and_nothing_is_written(test_env, kit_settings):
    async with await client_for(test_env, kit_settings) as svc:
        response = await svc.client.post("/duplicate")
        assert response.status_code == 409
        assert response.json()["type"] == "/problems/conflict"
        from kit.testing import fetch

        assert await fetch(kit_settings, "SELECT 1 FROM inbox WHERE consumer = 'x'") == []


async def test_text_the_database_cannot_store_is_a_422_and_nothing_is_written(test_env, kit_settings):
    from kit.testing import fetch

    async with await client_for(test_env, kit_settings) as svc:
        nul = await svc.client.post("/notes", json={"text": "before\u0000after"})
        surrogate = await svc.client.post("/notes", content=b'{"text": "half a pair \\udab0 here"}',
                                          headers={"content-type": "application/json"})
        fine = await svc.client.post("/notes", json={"text": "note-åäö"})
    assert nul.status_code == 422 and nul.json()["type"] == "/problems/invalid-value"
    assert "NUL" in nul.json()["detail"] and "before" not in nul.text
    assert surrogate.status_code == 422 and "surrogate" in surrogate.json()["detail"]
    assert fine.status_code == 201
    assert len(await fetch(kit_settings, "SELECT 1 FROM inbox WHERE consumer = 'note'")) == 1  # only the fine one


async def test_unexpected_error_leaks_nothing(test_env, kit_settings):
    async with await client_for(test_env, kit_settings) as svc:
        transport = httpx.ASGITransport(app=svc.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json()["type"] == "/problems/internal-error"
    assert "secret" not in response.text


async def test_unknown_route_is_a_404_problem(test_env, kit_settings):
    async with await client_for(test_env, kit_settings) as svc:
        response = await svc.client.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["type"] == "/problems/not-found"


async def test_pages(test_env, kit_settings):
    from kit.testing import fetch

    for i in range(7):
        await fetch(kit_settings, "INSERT INTO inbox (consumer, event_id, event_type) VALUES ($1, gen_random_uuid(), 't')", f"page-{i}")
    async with await client_for(test_env, kit_settings) as svc:
        first = (await svc.client.get("/rows", params={"limit": 3})).json()
        last = (await svc.client.get("/rows", params={"limit": 3, "offset": 6})).json()
        too_many = await svc.client.get("/rows", params={"limit": 1000})
    assert first["total"] == 7 and [i["consumer"] for i in first["items"]] == ["page-0", "page-1", "page-2"]
    assert [i["consumer"] for i in last["items"]] == ["page-6"]
    assert too_many.status_code == 422
