"""Therapist use cases: apply, review, profile, reception, photo, weights, reasons; and the check that
keeps an unauthorised therapist out of everything but their application status."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.adapters.licence_register import LicenceRegister
from booking.therapists import rules
from booking.therapists.models import ContactReason, ProblemArea, ProblemWeight, Therapist, TherapistReason
from booking.therapists.schemas import ApplicationIn, ProfileIn, ReceptionIn
from contracts.booking.v1 import (
    TherapistApplicationRejected,
    TherapistAuthorised,
    TherapistPayoutDetailsChanged,
)
from kit import outbox
from kit.auth import Principal
from kit.problems import Problem, conflict, forbidden, invalid, not_found

PHOTO_MAX_BYTES = 2 * 1024 * 1024
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def _rule(exc: rules.RuleError) -> Problem:
    return invalid(str(exc), **exc.extra)


async def apply(session: AsyncSession, principal: Principal, body: ApplicationIn) -> Therapist:
    if not principal.has("therapist"):
        raise forbidden("sign up as a therapist first (POST /identity/register at the gateway)")
    if await session.get(Therapist, principal.account_id):
        raise conflict("application-exists", "you have applied already")
    therapist = Therapist(id=principal.account_id, name=body.name, email=body.email, phone=body.phone,
                          licence_number=body.licence_number.strip().upper(), agreement_version=body.agreement_version,
                          languages=[])
    session.add(therapist)
    await session.flush()
    return therapist


async def own(session: AsyncSession, principal: Principal) -> Therapist:
    therapist = await session.get(Therapist, principal.account_id)
    if therapist is None:
        raise not_found("therapist application", principal.account_id)
    return therapist


async def authorised(session: AsyncSession, principal: Principal) -> Therapist:
    """The calling therapist, authorised: a pending or rejected one gets 403 everywhere but their status."""
    therapist = await session.get(Therapist, principal.account_id)
    if therapist is None:
        raise Problem(403, "no-therapist-application", "apply as a therapist first (POST /therapists/application)")
    if therapist.status == "rejected":
        raise Problem(403, "application-rejected", "your application to work as a therapist was rejected; "
                                                   "see your application status for the reason")
    if therapist.status != "authorised":
        raise Problem(403, "application-pending", "your application is being reviewed; you can work here once an "
                                                  "administrator has authorised it")
    return therapist


async def review(session: AsyncSession, register: LicenceRegister, therapist_id: uuid.UUID,
                 decision: str, note: str | None) -> Therapist:
    therapist = (await session.execute(select(Therapist).where(Therapist.id == therapist_id).with_for_update())).scalar_one_or_none()
    if therapist is None:
        raise not_found("therapist application", therapist_id)
    if therapist.status != "pending":
        raise conflict("already-reviewed", f"the application was {therapist.status} already")
    if decision == "authorise":
        licence = await register.lookup(therapist.licence_number)
        if licence is None or not licence.valid:
            raise conflict("licence-not-valid", f"licence {therapist.licence_number} is not a valid licence in the register")
        therapist.status, therapist.title = "authorised", therapist.title or licence.profession
        await outbox.add(session, TherapistAuthorised(therapist_id=therapist.id))
    else:
        therapist.status = "rejected"
        await outbox.add(session, TherapistApplicationRejected(therapist_id=therapist.id, reason=note or "the licence could not be confirmed"))
    therapist.reviewed_at, therapist.review_note = datetime.now(UTC), note
    return therapist


async def save_profile(session: AsyncSession, therapist: Therapist, body: ProfileIn) -> Therapist:
    try:
        rules.check_presentation(body.presentation)
        account = rules.bank_account(body.bank_account) if body.bank_account else None
    except rules.RuleError as exc:
        raise _rule(exc) from exc
    for field, value in body.model_dump(exclude={"bank_account"}).items():
        setattr(therapist, field, value)
    if account != therapist.bank_account:
        therapist.bank_account = account
        if account:
            await outbox.add(session, TherapistPayoutDetailsChanged(therapist_id=therapist.id, bank_account=account))
    return therapist


async def save_reception(session: AsyncSession, therapist: Therapist, body: ReceptionIn) -> Therapist:
    if not (body.video or body.on_site):
        raise invalid("receive clients by video, on site, or both")
    if body.on_site and not body.address:
        raise invalid("on-site sessions need a reception address")
    therapist.video, therapist.on_site, therapist.reception_address = body.video, body.on_site, body.address
    return therapist


async def save_photo(therapist: Therapist, data: bytes) -> None:
    if len(data) > PHOTO_MAX_BYTES:
        raise Problem(413, "file-too-large", f"a photo is at most {PHOTO_MAX_BYTES // (1024 * 1024)} MB")
    kind = next((t for magic, t in PHOTO_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise Problem(415, "not-an-image", "the photo must be a JPEG or PNG image")
    therapist.photo, therapist.photo_type = data, kind


async def save_weights(session: AsyncSession, therapist: Therapist, weights: dict[str, int]) -> dict[str, int]:
    known = set((await session.execute(select(ProblemArea.code))).scalars())
    try:
        rules.check_weights(weights, known)
    except rules.RuleError as exc:
        raise _rule(exc) from exc
    await session.execute(delete(ProblemWeight).where(ProblemWeight.therapist_id == therapist.id))
    session.add_all(ProblemWeight(therapist_id=therapist.id, area_code=code, weight=w) for code, w in weights.items())
    return weights


async def weights_of(session: AsyncSession, therapist_id: uuid.UUID) -> dict[str, int]:
    rows = await session.execute(select(ProblemWeight.area_code, ProblemWeight.weight).where(ProblemWeight.therapist_id == therapist_id))
    return dict(rows.all())


async def save_reasons(session: AsyncSession, therapist: Therapist, reasons: list[str]) -> list[str]:
    known = set((await session.execute(select(ContactReason.code))).scalars())
    if unknown := sorted(set(reasons) - known):
        raise invalid(f"unknown contact reasons: {', '.join(unknown)}", unknown=unknown)
    await session.execute(delete(TherapistReason).where(TherapistReason.therapist_id == therapist.id))
    session.add_all(TherapistReason(therapist_id=therapist.id, reason_code=code) for code in set(reasons))
    return sorted(set(reasons))
