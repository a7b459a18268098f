"""Test support: an authorised therapist, made the way a real one is (application, then an admin's review
against the development licence register). Used by tests and benchmarks that need a calendar."""

from __future__ import annotations

import uuid

import httpx

from kit.testing.tokens import TokenIssuer

VALID_LICENCE = "PSY-100001"


async def authorised_therapist(client: httpx.AsyncClient, issuer: TokenIssuer, *, prefix: str = "",
                               therapist_id: uuid.UUID | None = None, name: str = "Test Terapeut") -> tuple[uuid.UUID, dict[str, str]]:
    """Apply and get authorised; returns the therapist's id and request headers."""
    therapist_id = therapist_id or uuid.uuid4()
    headers = issuer.headers(therapist_id, "therapist")
    applied = await client.post(f"{prefix}/therapists/application", headers=headers, json={
        "name": name, "email": f"{therapist_id.hex[:8]}@example.org", "licence_number": VALID_LICENCE,
        "agreement_version": "2026-01"})
    assert applied.status_code == 201, applied.text
    reviewed = await client.post(f"{prefix}/admin/applications/{therapist_id}/review",
                                 headers=issuer.headers(uuid.uuid4(), "admin"), json={"decision": "authorise"})
    assert reviewed.status_code == 200, reviewed.text
    return therapist_id, headers
