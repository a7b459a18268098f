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


async def clinic_practitioner(client: httpx.AsyncClient, issuer: TokenIssuer, env: object, *, prefix: str = "",
                              clinic_id: uuid.UUID | None = None, name: str = "Test Behandler",
                              therapist_id: uuid.UUID | None = None) -> tuple[uuid.UUID, dict[str, str], uuid.UUID]:
    """An authorised therapist who holds "practitioner" in a clinic (a new one unless ``clinic_id``), as the
    gateway's directory announces it; returns once booking's copy lets them into the appointment book.
    Returns the therapist's id, request headers and the clinic's id."""
    from contracts.gateway.v1 import MembershipGranted, OrganisationSaved
    from kit.testing import publish_many, wait_for

    therapist, headers = await authorised_therapist(client, issuer, prefix=prefix, name=name, therapist_id=therapist_id)
    clinic_id = clinic_id or uuid.uuid4()
    await publish_many(env, [  # type: ignore[arg-type]
        OrganisationSaved(organisation_id=clinic_id, kind="clinic", code=f"C{clinic_id.hex[:6]}", name="Testklinikken",
                          time_zone="Europe/Oslo"),
        MembershipGranted(account_id=therapist, organisation_id=clinic_id, role="practitioner")])

    async def admitted() -> bool:
        mine = await client.get(f"{prefix}/clinics/mine", headers=headers)
        return mine.status_code == 200 and str(clinic_id) in {c["id"] for c in mine.json()}

    await wait_for(admitted, what="the practitioner's clinic in booking's directory copy")
    return therapist, headers, clinic_id
