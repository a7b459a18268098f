"""The journal at rest, with booking's own server: someone with the database's powers on purpose, which no
person of the platform has (so not on the shared platform: a deleted audit row would break the chain every
other test of the session checks, and the key ring is swapped in the process). Encryption at rest (a dump holds
no word of a note), a changed byte or a moved ciphertext that does not decrypt, an audit chain that shows a
deleted row, and rotating the key-encryption key. The journal as people use it (only the author reads, the
consent flow with its three emails, administrative notes) is tests/test_journal.py on the shared platform."""

from __future__ import annotations

import base64
import subprocess
import uuid

import pytest

from booking.app import build as build_booking
from booking.settings import Settings as BookingSettings
from booking.testing import authorised_therapist
from contracts.gateway.v1 import AccountCreated, ContactDetailsChanged
from kit.crypto import KeyRing, new_key
from kit.db import Database
from kit.testing import fetch, free_port, publish, running_service, wait_for
from kit.testing.tokens import TokenIssuer
from notify.app import build as build_notify
from notify.settings import Settings as NotifySettings
from notify.sink import start_sink

KEY = TokenIssuer()
ADMIN_ID = uuid.uuid4()


def admin() -> dict[str, str]:
    """An admin's headers, minted when used: a test token lives five minutes, a whole run longer."""
    return KEY.headers(ADMIN_ID, "admin")
SECRET_TEXT = "Klienten berättar om sömnsvårigheter sedan i våras."


@pytest.fixture(scope="module")
async def journal(test_env):
    booking = test_env.settings(BookingSettings, database="booking_journal", jwt_public_key=KEY.public_pem,
                                app_base_url="https://app.example")
    notify = test_env.settings(NotifySettings, database="notify_journal", smtp_port=free_port(), sender_poll_interval_s=0.1)
    async with running_service(build_booking(booking), test_env) as booking_service, \
            running_service(build_notify(notify), test_env) as notify_service:
        sink_db = Database(notify.database_url, pool_size=2)
        sink = await start_sink(sink_db, "127.0.0.1", notify.smtp_port)
        yield booking_service, notify_service
        sink.close()
        await sink_db.dispose()


async def therapist_with_client(svc, client_id: uuid.UUID, test_env, name: str) -> tuple[uuid.UUID, dict]:
    therapist, headers = await authorised_therapist(svc.client, KEY, name=name)
    await publish(test_env, ContactDetailsChanged(account_id=therapist, display_name=name, email=f"{therapist.hex[:8]}@example.org"))
    await publish(test_env, AccountCreated(account_id=client_id, roles=["client"], display_name="Test Klient", created_by=therapist))

    async def listed():
        return any(r["client_id"] == str(client_id) for r in (await svc.client.get("/clients", headers=headers)).json())

    await wait_for(listed, what="the client on the list")
    return therapist, headers


async def test_notes_are_encrypted_at_rest(journal, test_env):
    svc, _ = journal
    client = uuid.uuid4()
    _, author = await therapist_with_client(svc, client, test_env, "Test Författare")
    written = await svc.client.post(f"/clients/{client}/notes", headers=author, json={"text": SECRET_TEXT})
    assert written.status_code == 201
    assert [n["text"] for n in (await svc.client.get(f"/clients/{client}/notes", headers=author)).json()] == [SECRET_TEXT]

    libpq_url = svc.settings.database_url.replace("postgresql+asyncpg://", "postgresql://")
    dump = subprocess.run(["pg_dump", "--data-only", libpq_url], capture_output=True, check=True).stdout
    assert b"journal_notes" in dump  # the dump holds the notes table ...
    assert "sömnsvårigheter".encode() not in dump  # ... but not a word of the note


async def test_a_changed_byte_or_a_moved_ciphertext_does_not_decrypt(journal, test_env):
    svc, _ = journal
    client = uuid.uuid4()
    _, author = await therapist_with_client(svc, client, test_env, "Test Manipulerad")
    first = (await svc.client.post(f"/clients/{client}/notes", headers=author, json={"text": "första"})).json()["id"]
    second = (await svc.client.post(f"/clients/{client}/notes", headers=author, json={"text": "andra"})).json()["id"]
    # move the first note's ciphertext and key onto the second note
    await fetch(svc.settings, "UPDATE journal_notes SET ciphertext = f.ciphertext, wrapped_key = f.wrapped_key, nonce = f.nonce "
                              "FROM journal_notes f WHERE f.id = $1 AND journal_notes.id = $2", uuid.UUID(first), uuid.UUID(second))
    moved = await svc.client.get(f"/clients/{client}/notes", headers=author)
    assert moved.status_code == 409 and moved.json()["type"] == "/problems/note-tampered"
    client2 = uuid.uuid4()
    _, author2 = await therapist_with_client(svc, client2, test_env, "Test Bitflip")
    note = (await svc.client.post(f"/clients/{client2}/notes", headers=author2, json={"text": "hel"})).json()["id"]
    await fetch(svc.settings, "UPDATE journal_notes SET ciphertext = set_byte(ciphertext, 0, get_byte(ciphertext, 0) # 1) WHERE id = $1",
                uuid.UUID(note))
    assert (await svc.client.get(f"/clients/{client2}/notes", headers=author2)).status_code == 409
    denials = await fetch(svc.settings, "SELECT action FROM audit_trail WHERE subject_id = $1 AND NOT allowed", client2)
    assert [d["action"] for d in denials] == ["read note: does not decrypt"]


async def test_the_audit_chain_detects_a_deleted_row(journal, test_env):
    svc, _ = journal
    client = uuid.uuid4()
    _, author = await therapist_with_client(svc, client, test_env, "Test Revision")
    for text in ("första", "andra"):  # a chain long enough to have a middle
        assert (await svc.client.post(f"/clients/{client}/notes", headers=author, json={"text": text})).status_code == 201
    assert (await svc.client.get(f"/clients/{client}/notes", headers=author)).status_code == 200
    assert (await svc.client.get("/admin/journal/audit/verify", headers=admin())).json()["valid"] is True
    log = (await svc.client.get("/admin/journal/audit", headers=admin())).json()
    assert {"write note", "read note"} <= {r["action"] for r in log}
    assert len((await svc.client.get("/admin/journal/audit?limit=2", headers=admin())).json()) == 2
    negative = await svc.client.get("/admin/journal/audit?limit=-1", headers=admin())
    assert negative.status_code == 422 and "limit" in negative.text
    victim = log[len(log) // 2]["id"]
    with pytest.raises(Exception, match="append-only"):
        await fetch(svc.settings, "DELETE FROM audit_trail WHERE id = $1", victim)
    # someone with the database owner's powers goes around the trigger
    await fetch(svc.settings, "ALTER TABLE audit_trail DISABLE TRIGGER audit_trail_append_only")
    await fetch(svc.settings, "DELETE FROM audit_trail WHERE id = $1", victim)
    await fetch(svc.settings, "ALTER TABLE audit_trail ENABLE TRIGGER audit_trail_append_only")
    verdict = (await svc.client.get("/admin/journal/audit/verify", headers=admin())).json()
    assert verdict["valid"] is False and verdict["broken_at"] > victim


async def test_rotating_the_key_encryption_key_rewraps_without_reencrypting(journal, test_env):
    svc, _ = journal
    client = uuid.uuid4()
    _, author = await therapist_with_client(svc, client, test_env, "Test Rotation")
    await svc.client.post(f"/clients/{client}/notes", headers=author, json={"text": SECRET_TEXT})
    before = await fetch(svc.settings, "SELECT ciphertext, key_id FROM journal_notes WHERE client_id = $1", client)
    old_ring: KeyRing = svc.app.state.journal_keys
    fresh = new_key()
    both = {**{k: base64.b64encode(v).decode() for k, v in old_ring.keys.items()}, "k-2027": fresh}
    svc.app.state.journal_keys = KeyRing(both, current="k-2027")
    try:
        rewrapped = (await svc.client.post("/admin/journal/rewrap", headers=admin())).json()["rewrapped"]
        assert rewrapped >= 1
        after = await fetch(svc.settings, "SELECT ciphertext, key_id FROM journal_notes WHERE client_id = $1", client)
        assert after[0]["ciphertext"] == before[0]["ciphertext"] and after[0]["key_id"] == "k-2027"
        svc.app.state.journal_keys = KeyRing({"k-2027": fresh}, current="k-2027")  # the old key is retired
        assert [n["text"] for n in (await svc.client.get(f"/clients/{client}/notes", headers=author)).json()] == [SECRET_TEXT]
    finally:
        svc.app.state.journal_keys = KeyRing(both, current=old_ring.current)
