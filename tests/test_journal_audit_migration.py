"""The journal's audit moved onto kit.audit (booking migration 0009): rows written by the journal's own chain
before the migration still verify after it, new rows chain on from the last old one, and an admin reads them
all at the same /admin/journal/audit paths."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from booking.app import ROOT
from booking.app import build as build_booking
from booking.settings import Settings as BookingSettings
from booking.testing import authorised_therapist
from contracts.gateway.v1 import AccountCreated
from kit import migrations
from kit.testing import fetch, publish, running_service, wait_for
from kit.testing.tokens import TokenIssuer

KEY = TokenIssuer()
ADMIN_ID = uuid.uuid4()


def admin() -> dict[str, str]:
    """An admin's headers, minted when used: a test token lives five minutes, a whole run longer."""
    return KEY.headers(ADMIN_ID, "admin")


def journal_hash(prev: str, at: datetime, actor: uuid.UUID, client: uuid.UUID | None, action: str, target: str | None,
                 allowed: bool, care_unit: str | None) -> str:
    """The journal's own row hash, as booking.journal.audit computed it before the migration."""
    content = "|".join([prev, at.astimezone(UTC).isoformat(), str(actor), str(client or ""), action, target or "",
                        "1" if allowed else "0", care_unit or ""])
    return hashlib.sha256(content.encode()).hexdigest()


@pytest.fixture(scope="module")
async def migrated(test_env):
    settings = test_env.settings(BookingSettings, database="booking_auditmove", jwt_public_key=KEY.public_pem)
    await migrations.upgrade(ROOT, settings.database_url, "0008")
    actor, client = uuid.uuid4(), uuid.uuid4()
    old = [(actor, client, "write note", "note-1", True, None), (actor, client, "read note", "note-1", True, "unit-7"),
           (uuid.uuid4(), client, "read notes", None, False, None)]
    prev, start = "0" * 64, datetime.now(UTC) - timedelta(days=3)
    for i, (who, whose, action, target, allowed, unit) in enumerate(old):
        at = start + timedelta(minutes=i)
        digest = journal_hash(prev, at, who, whose, action, target, allowed, unit)
        await fetch(settings, "INSERT INTO journal_audit (at, actor_id, client_id, action, target, allowed, care_unit, "
                              "prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    at, who, whose, action, target, allowed, unit, prev, digest)
        prev = digest
    async with running_service(build_booking(settings), test_env) as svc:  # migrates to head: 0009
        yield svc, client, old


async def test_old_rows_verify_after_the_migration_and_new_ones_chain_on(migrated, test_env):
    svc, old_client, old = migrated
    rows = (await svc.client.get("/admin/journal/audit", headers=admin(), params={"subject_id": str(old_client)})).json()
    assert [(r["action"], r["target"], r["allowed"], r["organisation"]) for r in reversed(rows)] == [
        (action, target, allowed, unit) for _, _, action, target, allowed, unit in old]
    assert (await svc.client.get("/admin/journal/audit/verify", headers=admin())).json() | {"oldest": None, "retention_from": None} \
        == {"valid": True, "rows": 3, "broken_at": None, "oldest": None, "retention_from": None}

    therapist, headers = await authorised_therapist(svc.client, KEY)
    client = uuid.uuid4()
    await publish(test_env, AccountCreated(account_id=client, roles=["client"], display_name="Test Klient", created_by=therapist))

    async def listed():
        return any(c["client_id"] == str(client) for c in (await svc.client.get("/clients", headers=headers)).json())

    await wait_for(listed, what="the client on the therapist's list")
    note = await svc.client.post(f"/clients/{client}/notes", headers=headers, json={"text": "Första samtalet."})
    assert note.status_code == 201, note.text
    assert (await svc.client.get(f"/clients/{client}/notes", headers=headers)).status_code == 200
    new = (await svc.client.get("/admin/journal/audit", headers=admin(), params={"subject_id": str(client)})).json()
    assert [(r["actor_id"], r["action"], r["target"], r["allowed"]) for r in reversed(new)] == [
        (str(therapist), "write note", note.json()["id"], True), (str(therapist), "read note", note.json()["id"], True)]
    chain = await fetch(svc.settings, "SELECT id, prev_hash, hash FROM audit_trail ORDER BY id")
    assert chain[3]["prev_hash"] == chain[2]["hash"]  # the first new row chains on from the last old one
    verdict = (await svc.client.get("/admin/journal/audit/verify", headers=admin())).json()
    assert verdict["valid"] is True and verdict["rows"] == 5

    with pytest.raises(Exception, match="append-only"):  # kit.audit's guard replaced the journal's trigger
        await fetch(svc.settings, "UPDATE audit_trail SET action = 'nothing' WHERE id = $1", chain[0]["id"])
    assert not await fetch(svc.settings, "SELECT 1 FROM information_schema.tables WHERE table_name = 'journal_audit'")
