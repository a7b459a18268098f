"""kit.openapi as a service author meets it: the document a small service gets without typing a response by
hand (problems derived from its auth, inputs, unit of work and the problems its code raises, a use case's
``declares``), and CORS from ``cors_origins`` as a browser sees it."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated, Protocol

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel

from kit.adapters import OutsideSystemError
from kit.auth import CurrentPrincipal, Principal, require_roles
from kit.idempotency import IdempotencyKey
from kit.problems import MEDIA_TYPE, Problem, conflict, not_found
from kit.raises import declares
from kit.service import DbSession, Service
from kit.settings import ServiceSettings
from kit.testing import RunEnvironment, running_service
from kit.testing.openapi import faults

router = APIRouter(tags=["notes"])
Admin = Annotated[Principal, Depends(require_roles("admin"))]


class NoteIn(BaseModel):
    text: str


def _taken(note_id: uuid.UUID) -> Problem:
    return conflict("note-taken", f"note {note_id} is taken")


@declares(502, "provider-down")
async def write_use_case(note_id: uuid.UUID) -> None:
    if note_id.int == 0:
        raise not_found("note", note_id)
    raise _taken(note_id)


@router.put("/notes/{note_id}")
async def write_note(note_id: uuid.UUID, body: NoteIn, session: DbSession, principal: CurrentPrincipal,
                     key: IdempotencyKey = None) -> NoteIn:
    await write_use_case(note_id)
    return body


@router.get("/notes/{note_id}.pdf", response_class=Response)
async def note_pdf(note_id: uuid.UUID, principal: Admin) -> Response:
    return Response(b"%PDF", media_type="application/pdf", headers={"Content-Disposition": "attachment"})


@declares(409, "register-refused")
class Register(Protocol):
    """An outside system's adapter: what any of its calls may answer is declared once, on the Protocol."""

    async def look_up(self, number: str) -> str: ...


async def check_stock() -> None:
    raise OutsideSystemError("inventory", "the inventory did not answer")


@router.post("/look-ups", status_code=201)
async def look_up(request: Request, body: NoteIn) -> NoteIn:
    register: Register = request.app.state.register  # the typed local is what lets the reading follow it
    await check_stock()
    return NoteIn(text=await register.look_up(body.text))


@router.get("/open")
async def open_route() -> dict:
    return {}


def service(settings: ServiceSettings) -> Service:
    return Service(settings, root=Path(__file__).parent, routers=[router])


def test_problems_security_and_names_are_derived(kit_settings):
    doc = service(kit_settings).create_app().openapi()
    assert faults(doc, services=("kittest",)) == []
    write = doc["paths"]["/notes/{note_id}"]["put"]
    assert write["operationId"].startswith("kittest_") and write["operationId"].endswith("_write_note")
    assert write["security"] == [{"bearerAuth": []}]
    responses = write["responses"]
    assert {"401", "403", "404", "409", "413", "422", "502", "503"} <= set(responses)
    assert responses["409"]["x-problem-types"] == ["/problems/conflict", "/problems/note-taken"]
    assert responses["502"]["x-problem-types"] == ["/problems/provider-down"]  # declared on the use case
    assert responses["422"]["content"][MEDIA_TYPE]["schema"] == {"$ref": "#/components/schemas/ValidationProblem"}
    assert "Idempotent-Replayed" in responses["200"]["headers"]
    assert "Retry-After" in responses["503"]["headers"]
    pdf = doc["paths"]["/notes/{note_id}.pdf"]["get"]
    assert pdf["x-roles"] == ["admin"] and "admin" in pdf["responses"]["403"]["description"]
    assert pdf["responses"]["200"]["content"] == {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
    assert "Content-Disposition" in pdf["responses"]["200"]["headers"]
    assert "409" not in pdf["responses"]  # no unit of work, no write: only the token check's 503 remains
    assert pdf["responses"]["503"]["x-problem-types"] == ["/problems/keys-unavailable"]
    look = doc["paths"]["/look-ups"]["post"]["responses"]
    assert look["409"]["x-problem-types"] == ["/problems/register-refused"]
    assert look["503"]["x-problem-types"] == ["/problems/inventory-unavailable"]  # OutsideSystemError's own slug
    public = doc["paths"]["/open"]["get"]
    assert public["security"] == [] and set(public["responses"]) == {"200"}


async def test_cors_only_for_the_configured_origins(test_env: RunEnvironment, kit_settings):
    allowed = "https://app.example.se"
    settings = kit_settings.model_copy(update={"cors_origins": [allowed]})
    async with running_service(service(settings), test_env, relay=False, migrate=False) as svc:
        preflight = await svc.client.options("/notes/00000000-0000-0000-0000-000000000001", headers={
            "Origin": allowed, "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, idempotency-key, content-type"})
        answer = await svc.client.get("/open", headers={"Origin": allowed})
        stranger = await svc.client.get("/open", headers={"Origin": "https://evil.example"})
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == allowed
    assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
    assert answer.headers["access-control-allow-origin"] == allowed
    exposed = answer.headers["access-control-expose-headers"].lower()
    assert {"x-correlation-id", "idempotent-replayed", "retry-after", "receipt-number"} <= set(exposed.split(", "))
    assert "access-control-allow-origin" not in stranger.headers


async def test_cors_is_off_by_default(test_env: RunEnvironment, kit_settings):
    assert kit_settings.cors_origins == []
    async with running_service(service(kit_settings), test_env, relay=False, migrate=False) as svc:
        answer = await svc.client.get("/open", headers={"Origin": "https://app.example.se"})
    assert answer.status_code == 200 and "access-control-allow-origin" not in answer.headers


async def test_problem_titles_follow_accept_language(test_env: RunEnvironment, kit_settings):
    async with running_service(service(kit_settings), test_env, relay=False, migrate=False) as svc:
        swedish = await svc.client.get(f"/notes/{uuid.uuid4()}.pdf", headers={"Accept-Language": "sv-SE,sv;q=0.9,en;q=0.5"})
        norwegian = await svc.client.get(f"/notes/{uuid.uuid4()}.pdf", headers={"Accept-Language": "nn, en;q=0.1"})
        french = await svc.client.get(f"/notes/{uuid.uuid4()}.pdf", headers={"Accept-Language": "fr-FR"})
    assert swedish.status_code == 401 and swedish.json()["title"] == "Inte inloggad"
    assert swedish.headers["content-language"] == "sv" and swedish.json()["type"] == "/problems/unauthorized"
    assert norwegian.json()["title"] == "Ikke innlogget" and norwegian.headers["content-language"] == "nb"
    assert french.json()["title"] == "Unauthorized" and french.headers["content-language"] == "en"
