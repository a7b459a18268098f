"""Client use cases: questionnaire and matching, the therapist's clients, invitations."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from booking.bookings.models import Booking
from booking.calendar.models import Slot
from booking.clients.models import ClientOf, Invitation, Person, Questionnaire
from booking.therapists import rules
from booking.therapists.models import ContactReason, ProblemArea, ProblemWeight, Therapist, TherapistReason
from contracts.booking.v1 import ClientInvited, InvitationAccepted, InvitationUsed
from kit import outbox
from kit.problems import Problem, conflict, invalid, not_found

INVITATION_DAYS = 14


# -- questionnaire and matching (BK-8) --------------------------------------------------------------------------------
async def answer(session: AsyncSession, client_id: uuid.UUID, scores: dict[str, int], reason: str) -> Questionnaire:
    areas = set((await session.execute(select(ProblemArea.code))).scalars())
    if unknown := sorted(set(scores) - areas):
        raise invalid(f"unknown problem areas: {', '.join(unknown)}", unknown=unknown)
    if bad := sorted(a for a, s in scores.items() if not 0 <= s <= 10):
        raise invalid(f"scores are between 0 and 10 ({', '.join(bad)})")
    if await session.get(ContactReason, reason) is None:
        raise invalid(f"unknown contact reason {reason}")
    await session.execute(insert(Questionnaire).values(client_id=client_id, scores=scores, reason_code=reason)
                          .on_conflict_do_update(index_elements=["client_id"], set_={"scores": scores, "reason_code": reason,
                                                                                     "answered_at": datetime.now(UTC)}))
    return await session.get(Questionnaire, client_id, populate_existing=True)  # type: ignore[return-value]


def top_five(scores: dict[str, int]) -> list[tuple[str, int]]:
    return sorted(((a, s) for a, s in scores.items() if s), key=lambda item: (-item[1], item[0]))[:5]


async def matches(session: AsyncSession, client_id: uuid.UUID, *, video: bool | None, on_site: bool | None,
                  language: str | None, max_fee: int | None, has_free_slots: bool, limit: int,
                  offset: int) -> tuple[list[dict], int]:
    """BK-10: one page of the ranked therapists and how many there are. Every candidate is scored (the rank
    needs them all) from two queries: the candidates, then all their weights at once."""
    answered = await session.get(Questionnaire, client_id)
    if answered is None:
        raise conflict("no-questionnaire", "answer the questionnaire first")
    reason = await session.get(ContactReason, answered.reason_code)
    accepted = {answered.reason_code} | ({reason.parent_code} if reason and reason.parent_code else set())
    query = select(Therapist).where(
        Therapist.status == "authorised",
        exists().where(TherapistReason.therapist_id == Therapist.id, TherapistReason.reason_code.in_(accepted)))
    if video:
        query = query.where(Therapist.video.is_(True))
    if on_site:
        query = query.where(Therapist.on_site.is_(True))
    if language:
        query = query.where(Therapist.languages.any(language))
    if max_fee is not None:
        query = query.where(Therapist.fee_minor <= max_fee)
    if has_free_slots:
        query = query.where(exists().where(Slot.therapist_id == Therapist.id, Slot.status == "free",
                                           Slot.starts_at > datetime.now(UTC), Slot.audience == "everyone"))
    candidates = list((await session.execute(query)).scalars())
    weights: dict[uuid.UUID, dict[str, int]] = {t.id: {} for t in candidates}
    for therapist_id, area, weight in (await session.execute(
            select(ProblemWeight.therapist_id, ProblemWeight.area_code, ProblemWeight.weight)
            .where(ProblemWeight.therapist_id.in_(list(weights))))).all():
        weights[therapist_id][area] = weight
    ranked = []
    for therapist in candidates:
        score, parts = rules.match_score(answered.scores, weights[therapist.id])
        ranked.append({"therapist_id": therapist.id, "name": therapist.name, "title": therapist.title,
                       "fee_minor": therapist.fee_minor, "currency": therapist.currency, "score": score,
                       "explanation": [vars(p) for p in parts]})
    ranked.sort(key=lambda m: (-m["score"], m["name"], str(m["therapist_id"])))
    return ranked[offset:offset + limit], len(ranked)


# -- the therapist's clients (BK-9, BK-10, BK-12, BK-19) -----------------------------------------------------------
async def add_client(session: AsyncSession, therapist_id: uuid.UUID, client_id: uuid.UUID, origin: str) -> None:
    await session.execute(insert(ClientOf).values(therapist_id=therapist_id, client_id=client_id, origin=origin)
                          .on_conflict_do_nothing())


async def is_client_of(session: AsyncSession, therapist_id: uuid.UUID, client_id: uuid.UUID) -> bool:
    return await session.get(ClientOf, (therapist_id, client_id)) is not None


async def client_list(session: AsyncSession, therapist_id: uuid.UUID) -> list[tuple[ClientOf, Person | None]]:
    query = (select(ClientOf, Person).outerjoin(Person, Person.account_id == ClientOf.client_id)
             .where(ClientOf.therapist_id == therapist_id).order_by(ClientOf.since.desc()))
    return [(c, p) for c, p in (await session.execute(query)).all()]


async def card(session: AsyncSession, therapist_id: uuid.UUID, client_id: uuid.UUID) -> dict:
    relation = await session.get(ClientOf, (therapist_id, client_id))
    if relation is None:
        raise not_found("client", client_id)
    person = await session.get(Person, client_id)
    answered = await session.get(Questionnaire, client_id)
    now = datetime.now(UTC)
    meetings = list((await session.execute(select(Booking).where(Booking.therapist_id == therapist_id, Booking.client_id == client_id)
                                            .order_by(Booking.starts_at))).scalars())
    reason = await session.get(ContactReason, answered.reason_code) if answered else None
    return {
        "client_id": client_id, "origin": relation.origin, "information": relation.information,
        "name": person.display_name if person else None, "email": person.email if person else None,
        "phone": person.phone if person else None,
        "top_problem_areas": [{"area": a, "score": s} for a, s in top_five(answered.scores)] if answered else [],
        "contact_reason": {"code": reason.code, "name_sv": reason.name_sv, "name_en": reason.name_en} if reason else None,
        "future_meetings": [m for m in meetings if m.starts_at > now],
        "past_meetings": [m for m in meetings if m.starts_at <= now],
    }


async def set_information(session: AsyncSession, therapist_id: uuid.UUID, client_id: uuid.UUID, text: str) -> None:
    relation = await session.get(ClientOf, (therapist_id, client_id))
    if relation is None:
        raise not_found("client", client_id)
    relation.information = text


# -- invitations (BK-11) -----------------------------------------------------------------------------------------------
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def invite(session: AsyncSession, therapist: Therapist, email: str, language: str, base_url: str,
                 *, reminder_of: Invitation | None = None) -> Invitation:
    token = secrets.token_urlsafe(24)
    expires = datetime.now(UTC) + timedelta(days=INVITATION_DAYS)
    if reminder_of is not None:
        invitation = reminder_of
        invitation.token_hash, invitation.expires_at, invitation.sent_at = _hash(token), expires, datetime.now(UTC)
    else:
        invitation = Invitation(therapist_id=therapist.id, email=email, language=language, token_hash=_hash(token),
                                expires_at=expires)
        session.add(invitation)
    await session.flush()
    await outbox.add(session, ClientInvited(invitation_id=invitation.id, therapist_id=therapist.id, email=invitation.email,
                                            language=invitation.language, link=f"{base_url}/invitations/{token}?lang={invitation.language}",  # type: ignore[arg-type]
                                            expires_at=expires, reminder=reminder_of is not None))
    return invitation


async def accept(session: AsyncSession, token: str, display_name: str) -> Invitation:
    invitation = (await session.execute(select(Invitation).where(Invitation.token_hash == _hash(token)).with_for_update())).scalar_one_or_none()
    if invitation is None:
        raise not_found("invitation", "with that link")
    if invitation.status != "pending":
        raise conflict("invitation-used", "this invitation has been used already")
    if invitation.expires_at <= datetime.now(UTC):
        raise Problem(410, "invitation-expired", "this invitation has expired; ask your therapist for a new one")
    invitation.status = "accepted"
    await outbox.add(session, InvitationAccepted(invitation_id=invitation.id, therapist_id=invitation.therapist_id,
                                                 email=invitation.email, display_name=display_name,
                                                 language=invitation.language))  # type: ignore[arg-type]
    return invitation


async def invitation_became_account(session: AsyncSession, invitation_id: uuid.UUID, client_id: uuid.UUID) -> None:
    invitation = await session.get(Invitation, invitation_id, with_for_update=True)
    if invitation is None or invitation.status == "used":
        return
    invitation.status, invitation.client_id = "used", client_id
    await add_client(session, invitation.therapist_id, client_id, "invited")
    await outbox.add(session, InvitationUsed(invitation_id=invitation.id, therapist_id=invitation.therapist_id, client_id=client_id))


async def account_created(session: AsyncSession, account_id: uuid.UUID, roles: list[str], created_by: uuid.UUID | None,
                          invitation_id: uuid.UUID | None) -> None:
    """BK-11 and BK-12: an invited person's account, or a client a therapist created, joins the list."""
    if invitation_id is not None:
        await invitation_became_account(session, invitation_id, account_id)
    elif created_by is not None and "client" in roles:
        creator = await session.get(Therapist, created_by)
        if creator is not None and creator.status == "authorised":  # issue 18: never an unapproved therapist's
            await add_client(session, created_by, account_id, "created")
