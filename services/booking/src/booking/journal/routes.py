"""Journal routes (thin; use cases in journal.service)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from booking.journal import service
from booking.journal.models import Consent, JournalNote
from booking.journal.rules import PROBLEM_CODE
from kit.auth import CurrentPrincipal, Principal, require_roles
from kit.service import DbSession
from kit.throttle import link_guard

router = APIRouter(tags=["journal"])
Admin = Annotated[Principal, Depends(require_roles("admin"))]


class NoteIn(BaseModel):
    text: str = Field(min_length=1)
    kind: Literal["clinical", "administrative"] = "clinical"
    #: the problem/diagnosis (ICPC-2 such as P74, or ICD-10 such as F41.1); closing a group session takes it from here
    problem_code: str | None = Field(default=None, pattern=PROBLEM_CODE)


class NoteOut(BaseModel):
    id: uuid.UUID
    author_id: uuid.UUID
    kind: str
    text: str
    problem_code: str | None
    version: int
    created_at: datetime
    updated_at: datetime


def _out(note: JournalNote, content: service.NoteContent) -> NoteOut:
    return NoteOut(id=note.id, author_id=note.author_id, kind=note.kind, text=content.text, problem_code=content.problem_code,
                   version=note.version, created_at=note.created_at, updated_at=note.updated_at)


@router.post("/clients/{client_id}/notes", status_code=201)
async def write_note(client_id: uuid.UUID, body: NoteIn, request: Request, session: DbSession, principal: CurrentPrincipal) -> NoteOut:
    state = request.app.state
    content = service.NoteContent(body.text, body.problem_code)
    note = await service.write_note(session, state.db, state.journal_keys, principal, client_id, content, body.kind)
    return _out(note, content)


@router.get("/clients/{client_id}/notes")
async def read_notes(client_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal) -> list[NoteOut]:
    """JR-1/JR-2: your own notes, and earlier therapists' notes the client let you read. Every read is audited."""
    state = request.app.state
    return [_out(n, t) for n, t in await service.readable_notes(session, state.db, state.journal_keys, principal, client_id)]


class EditIn(BaseModel):
    text: str = Field(min_length=1)


@router.put("/notes/{note_id}")
async def edit_note(note_id: uuid.UUID, body: EditIn, request: Request, session: DbSession, principal: CurrentPrincipal) -> NoteOut:
    """Edit your note (JR-3: administrative notes from group sessions too); earlier versions are kept."""
    state = request.app.state
    return _out(*await service.edit_note(session, state.db, state.journal_keys, principal, note_id, body.text))


class ConsentIn(BaseModel):
    earlier_therapists: list[uuid.UUID] = Field(min_length=1)


class ConsentOut(BaseModel):
    """A consent request (JR-3): who asks to read whose notes, when, and the answer. Every route answers it whole."""

    id: uuid.UUID
    status: str
    requester_id: uuid.UUID
    earlier_therapists: list[uuid.UUID]
    requested_at: datetime
    answered_at: datetime | None = None


def _consent_out(consent: Consent) -> ConsentOut:
    return ConsentOut(id=consent.id, status=consent.status, requester_id=consent.requester_id,
                      earlier_therapists=consent.author_ids, requested_at=consent.requested_at,
                      answered_at=consent.answered_at)


class EarlierTherapistOut(BaseModel):
    therapist_id: uuid.UUID
    name: str
    title: str | None
    notes: int
    latest_note_at: datetime


@router.get("/clients/{client_id}/earlier-therapists")
async def earlier_therapists(client_id: uuid.UUID, request: Request, session: DbSession,
                             principal: CurrentPrincipal) -> list[EarlierTherapistOut]:
    """JR-3: the other therapists who keep notes on your client, whom a consent request can name."""
    found = await service.earlier_therapists(session, request.app.state.db, principal, client_id)
    return [EarlierTherapistOut(therapist_id=t.id, name=t.name, title=t.title, notes=n, latest_note_at=at)
            for t, n, at in found]


@router.post("/clients/{client_id}/consents", status_code=201)
async def request_consent(client_id: uuid.UUID, body: ConsentIn, request: Request, session: DbSession,
                          principal: CurrentPrincipal) -> ConsentOut:
    state = request.app.state
    consent = await service.request_consent(session, state.db, principal, client_id, body.earlier_therapists,
                                            state.settings.app_base_url)
    return _consent_out(consent)


class AnswerIn(BaseModel):
    approve: bool


@router.post("/consents/{token}/answer")
async def answer_consent(token: str, body: AnswerIn, request: Request, session: DbSession) -> ConsentOut:
    """The client's answer through the link in the email (single use; a forged link finds nothing, and
    guessing links is throttled per client address)."""
    async with link_guard(request, session, "consent"):
        consent = await service.answer_consent(session, token, body.approve)
    return _consent_out(consent)


@router.get("/clients/me/consents")
async def my_consents(session: DbSession, principal: CurrentPrincipal) -> list[ConsentOut]:
    """The client's consents: who asked to read whose notes, and the answer (withdraw an approved one)."""
    rows = (await session.execute(select(Consent).where(Consent.client_id == principal.account_id)
                                  .order_by(Consent.requested_at.desc()))).scalars()
    return [_consent_out(c) for c in rows]


@router.post("/clients/me/consents/{consent_id}/answer")
async def answer_my_consent(consent_id: uuid.UUID, body: AnswerIn, session: DbSession,
                            principal: CurrentPrincipal) -> ConsentOut:
    """The signed-in client answers a request asked of them, as the mail's link does (once; then 409)."""
    return _consent_out(await service.answer_own_consent(session, principal, consent_id, body.approve))


@router.post("/consents/{consent_id}/withdraw")
async def withdraw(consent_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> ConsentOut:
    consent = await service.withdraw_consent(session, principal, consent_id)
    return _consent_out(consent)


@router.post("/admin/journal/rewrap")
async def rewrap(request: Request, session: DbSession, principal: Admin) -> dict[str, int]:
    """After adding a new key-encryption key and making it current: re-wrap every note's data key."""
    return {"rewrapped": await service.rewrap_all(session, request.app.state.journal_keys)}
