"""Journal use cases: write and read notes (only the author in plaintext, others with the client's
consent), administrative notes with history, consent requests and answers, key rotation."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.clients.service import is_client_of
from booking.journal.models import Consent, JournalNote, NoteVersion
from booking.therapists.models import Therapist
from contracts.booking.v1 import ConsentAnswered, ConsentRequested
from kit import audit, outbox
from kit.auth import Principal
from kit.crypto import DecryptionError, KeyRing, Sealed
from kit.db import Database
from kit.problems import Problem, conflict, invalid, not_found

NOTE_MAX = 20_000


def _aad(note_id: uuid.UUID, client_id: uuid.UUID) -> bytes:
    return f"journal-note:{note_id}|client:{client_id}".encode()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _therapist_of(session: AsyncSession, db: Database, principal: Principal, client_id: uuid.UUID, action: str) -> None:
    therapist = await session.get(Therapist, principal.account_id)
    if therapist is None or therapist.status != "authorised" or not await is_client_of(session, principal.account_id, client_id):
        await audit.write_denial(db, actor=principal.account_id, subject=client_id, action=action)
        raise not_found("client", client_id)


async def write_note(session: AsyncSession, db: Database, ring: KeyRing, principal: Principal, client_id: uuid.UUID,
                     content: NoteContent, kind: str = "clinical") -> JournalNote:
    await _therapist_of(session, db, principal, client_id, "write note")
    if not content.text.strip() or len(content.text) > NOTE_MAX:
        raise invalid(f"a note has between 1 and {NOTE_MAX} characters")
    note = JournalNote(id=uuid.uuid4(), client_id=client_id, author_id=principal.account_id, kind=kind)
    _seal_into(note, ring, content)
    session.add(note)
    await session.flush()
    await audit.write(session, actor=principal.account_id, subject=client_id, action="write note", target=str(note.id))
    return note


@dataclass(frozen=True)
class NoteContent:
    """What is sealed: the text and the problem/diagnosis code (ICPC-2 or ICD-10), both clinical."""

    text: str
    problem_code: str | None = None


def _seal_into(note: JournalNote, ring: KeyRing, content: NoteContent) -> None:
    plaintext = json.dumps({"text": content.text, "problem_code": content.problem_code}).encode()
    sealed = ring.seal(plaintext, aad=_aad(note.id, note.client_id))
    note.key_id, note.wrapped_key, note.nonce, note.ciphertext = sealed.key_id, sealed.wrapped_key, sealed.nonce, sealed.ciphertext


def _open(note: JournalNote, ring: KeyRing) -> NoteContent:
    plaintext = ring.open(Sealed(note.key_id, note.wrapped_key, note.nonce, note.ciphertext), aad=_aad(note.id, note.client_id))
    return NoteContent(**json.loads(plaintext))


async def add_administrative_notes(session: AsyncSession, ring: KeyRing, author_id: uuid.UUID,
                                   contents: dict[uuid.UUID, NoteContent], *,
                                   organisation: str | None = None) -> dict[uuid.UUID, JournalNote]:
    """JR-3 / GR-7: the shared group note, stored in each patient's journal (``contents`` by client) by the
    closing practitioner; the writes audited in one batch."""
    notes = {}
    for client_id, content in contents.items():
        note = JournalNote(id=uuid.uuid4(), client_id=client_id, author_id=author_id, kind="administrative")
        _seal_into(note, ring, content)
        session.add(note)
        notes[client_id] = note
    await session.flush()
    await audit.write_many(session, actor=author_id, action="write administrative note", organisation=organisation,
                           entries=[(client_id, str(note.id)) for client_id, note in notes.items()])
    return notes


async def edit_note(session: AsyncSession, db: Database, ring: KeyRing, principal: Principal, note_id: uuid.UUID,
                    text: str) -> tuple[JournalNote, NoteContent]:
    note = await session.get(JournalNote, note_id, with_for_update=True)
    if note is None or note.author_id != principal.account_id:
        await audit.write_denial(db, actor=principal.account_id, subject=note.client_id if note else None, action="edit note",
                                 target=str(note_id))
        raise not_found("note", note_id)
    session.add(NoteVersion(note_id=note.id, version=note.version, key_id=note.key_id, wrapped_key=note.wrapped_key,
                            nonce=note.nonce, ciphertext=note.ciphertext, edited_by=principal.account_id))
    content = NoteContent(text, open_note(note, ring).problem_code)
    _seal_into(note, ring, content)
    note.version += 1
    note.updated_at = datetime.now(UTC)
    await audit.write(session, actor=principal.account_id, subject=note.client_id, action="edit note", target=str(note.id))
    return note, content


def open_note(note: JournalNote, ring: KeyRing) -> NoteContent:
    """The note's content; a ciphertext that does not open is a 409 (the caller audits the read)."""
    try:
        return _open(note, ring)
    except DecryptionError as exc:
        raise Problem(409, "note-tampered", f"note {note.id} does not decrypt: it was changed outside the journal") from exc


async def last_problem_codes(session: AsyncSession, ring: KeyRing, author_id: uuid.UUID,
                             client_ids: list[uuid.UUID], *, organisation: str | None = None) -> dict[uuid.UUID, str | None]:
    """GR-7: the problem/diagnosis of each client's last clinical note by this practitioner (one query, the
    reads audited in one batch); clients without such a note are left out."""
    if not client_ids:
        return {}
    notes = (await session.execute(
        select(JournalNote).where(JournalNote.client_id.in_(client_ids), JournalNote.author_id == author_id,
                                  JournalNote.kind == "clinical")
        .order_by(JournalNote.client_id, JournalNote.created_at.desc()).distinct(JournalNote.client_id)
    )).scalars().all()
    await audit.write_many(session, actor=author_id, action="read note: problem code", organisation=organisation,
                           entries=[(note.client_id, str(note.id)) for note in notes])
    return {note.client_id: open_note(note, ring).problem_code for note in notes}


async def readable_notes(session: AsyncSession, db: Database, ring: KeyRing, principal: Principal,
                         client_id: uuid.UUID) -> list[tuple[JournalNote, NoteContent]]:
    """The caller's own notes, and earlier therapists' notes covered by an approved consent (written before
    the approval, by the therapists it names). Each read is audited, and so is each note withheld for want
    of a consent (the attempt is part of the record too); a ciphertext that does not open is refused and
    audited as tampering."""
    await _therapist_of(session, db, principal, client_id, "read notes")
    consents = (await session.execute(select(Consent).where(Consent.client_id == client_id, Consent.requester_id == principal.account_id,
                                                            Consent.status == "approved"))).scalars().all()
    notes = (await session.execute(select(JournalNote).where(JournalNote.client_id == client_id).order_by(JournalNote.created_at))).scalars().all()
    readable, withheld = [], []
    for note in notes:
        own = note.author_id == principal.account_id
        shared = any(note.author_id in c.author_ids and note.created_at <= (c.answered_at or note.created_at) for c in consents)
        if not (own or shared):
            withheld.append(note)
            continue
        try:
            readable.append((note, _open(note, ring)))
        except DecryptionError as exc:
            # before any audit row of this request: the denial's own transaction takes the chain's lock
            await audit.write_denial(db, actor=principal.account_id, subject=client_id, action="read note: does not decrypt",
                                     target=str(note.id))
            raise Problem(409, "note-tampered", f"note {note.id} does not decrypt: it was changed outside the journal") from exc
    await audit.write_many(session, actor=principal.account_id, action="read note",
                           entries=[(client_id, str(note.id)) for note, _ in readable])
    if withheld:
        await audit.write_many(session, actor=principal.account_id, action="note withheld: no consent",
                               entries=[(client_id, str(note.id)) for note in withheld])
    return readable


async def earlier_therapists(session: AsyncSession, db: Database, principal: Principal,
                             client_id: uuid.UUID) -> list[tuple[Therapist, int, datetime]]:
    """JR-3: whom a therapist can ask the client's consent to read: every other therapist with notes on the
    client, how many and the latest, without the notes themselves. Audited like a read of the card."""
    await _therapist_of(session, db, principal, client_id, "list earlier therapists")
    rows = (await session.execute(
        select(Therapist, func.count(JournalNote.id), func.max(JournalNote.created_at))
        .join(JournalNote, JournalNote.author_id == Therapist.id)
        .where(JournalNote.client_id == client_id, JournalNote.author_id != principal.account_id)
        .group_by(Therapist.id).order_by(Therapist.name))).all()
    await audit.write(session, actor=principal.account_id, subject=client_id, action="list earlier therapists")
    return [(therapist, count, latest) for therapist, count, latest in rows]


async def request_consent(session: AsyncSession, db: Database, principal: Principal, client_id: uuid.UUID,
                          author_ids: list[uuid.UUID], base_url: str) -> Consent:
    await _therapist_of(session, db, principal, client_id, "request consent")
    if not author_ids or principal.account_id in author_ids:
        raise invalid("name the earlier therapists whose notes you ask to read (not yourself)")
    token = secrets.token_urlsafe(24)
    consent = Consent(id=uuid.uuid4(), client_id=client_id, requester_id=principal.account_id, author_ids=author_ids,
                      token_hash=_hash(token), requested_at=datetime.now(UTC))
    session.add(consent)
    await session.flush()
    await outbox.add(session, ConsentRequested(consent_id=consent.id, client_id=client_id, therapist_id=principal.account_id,
                                               link=f"{base_url}/consents/{token}"))
    await audit.write(session, actor=principal.account_id, subject=client_id, action="request consent", target=str(consent.id))
    return consent


async def answer_consent(session: AsyncSession, token: str, approve: bool) -> Consent:
    consent = (await session.execute(select(Consent).where(Consent.token_hash == _hash(token)).with_for_update())).scalar_one_or_none()
    if consent is None:
        raise not_found("consent request", "with that link")
    return await _answer(session, consent, approve)


async def answer_own_consent(session: AsyncSession, principal: Principal, consent_id: uuid.UUID, approve: bool) -> Consent:
    """The signed-in client answers a request asked of them (as the mail's link does)."""
    consent = await session.get(Consent, consent_id, with_for_update=True)
    if consent is None or consent.client_id != principal.account_id:
        raise not_found("consent", consent_id)
    return await _answer(session, consent, approve)


async def _answer(session: AsyncSession, consent: Consent, approve: bool) -> Consent:
    if consent.status != "pending":
        raise conflict("consent-answered", f"this request was {consent.status} already; the link works once")
    consent.status, consent.answered_at = ("approved" if approve else "denied"), datetime.now(UTC)
    await outbox.add(session, ConsentAnswered(consent_id=consent.id, client_id=consent.client_id,
                                              therapist_id=consent.requester_id, approved=approve))
    await audit.write(session, actor=consent.client_id, subject=consent.client_id, action=f"consent {consent.status}",
                      target=str(consent.id))
    return consent


async def withdraw_consent(session: AsyncSession, principal: Principal, consent_id: uuid.UUID) -> Consent:
    consent = await session.get(Consent, consent_id, with_for_update=True)
    if consent is None or consent.client_id != principal.account_id:
        raise not_found("consent", consent_id)
    if consent.status != "approved":
        raise conflict("consent-not-approved", f"the consent is {consent.status}")
    consent.status = "withdrawn"
    await audit.write(session, actor=principal.account_id, subject=consent.client_id, action="consent withdrawn", target=str(consent.id))
    return consent


async def rewrap_all(session: AsyncSession, ring: KeyRing) -> int:
    """Key rotation: re-wrap every data key with the current KEK; the notes are not re-encrypted."""
    count = 0
    for model in (JournalNote, NoteVersion):
        rows = (await session.execute(select(model).where(model.key_id != ring.current).with_for_update())).scalars().all()
        for row in rows:
            row.key_id, row.wrapped_key = ring.rewrap(row.key_id, row.wrapped_key)
            count += 1
    return count
