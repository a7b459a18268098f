"""Getting back in and keeping in touch (GW-3, GW-4, BK-12): a forgotten password by an emailed single-use
link (then an SMS code where the account has a mobile number), an email or phone added and verified by a
code, the login code by email for password accounts without a mobile, and a BankID login that must
confirm an account someone else made with the person's personal number before it becomes theirs.

Every secret (a link token, a code) is kept only as a hash and goes out once, in an event whose
``secret_fields`` name it. Answers never tell whether an address belongs to an account."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.gateway.v1 import (
    AccountCreated,
    PasswordResetRequested,
    RegistrationAttempted,
    VerificationCodeRequested,
)
from gateway.identity import rules, tokens
from gateway.identity.keys import SigningKey
from gateway.identity.models import Account, AuditEntry, BankIdClaim, ContactVerification, PasswordReset
from gateway.settings import Settings
from kit import outbox
from kit.auth import Principal
from kit.db import Database
from kit.problems import Problem, not_found, unauthorized

LINK_NOT_VALID = "this link is not valid: it was used already, a newer one replaced it, or it is mistyped"
WRONG_CODE = "wrong code"


def _too_many_codes() -> Problem:
    problem = Problem(429, "too-many-codes", "too many codes were requested; wait a few minutes")
    problem.headers["Retry-After"] = "600"
    return problem


async def _recent(session: AsyncSession, column: Any, value: Any, created: Any) -> int:
    window = datetime.now(UTC) - timedelta(minutes=10)
    return (await session.execute(select(func.count()).where(column == value, created > window))).scalar_one()


async def _wrong_try(db: Database, model: type, row_id: uuid.UUID, open_states: tuple[str, ...], max_tries: int,
                     account_id: uuid.UUID, method: str, ip: str | None) -> None:
    """Count a wrong code atomically in a transaction of its own (kept although the request fails); the
    last allowed try kills the row. Raises the 401."""
    async with db.transaction() as own:
        tries = (await own.execute(
            update(model).where(model.id == row_id, model.state.in_(open_states))
            .values(wrong_tries=model.wrong_tries + 1).returning(model.wrong_tries))).scalar_one_or_none()
        dead = tries is None or tries >= max_tries
        if tries is not None and dead:
            await own.execute(update(model).where(model.id == row_id).values(state="dead"))
        own.add(AuditEntry(event="locked_out" if dead else "code_failed", account_id=account_id, method=method, ip=ip,
                           detail=f"wrong code ({tries})"))
    raise unauthorized("wrong code; too many tries, start again" if dead else WRONG_CODE)


def _audit(session: AsyncSession, event: str, account_id: uuid.UUID, method: str | None, ip: str | None,
           detail: str | None = None) -> None:
    session.add(AuditEntry(event=event, account_id=account_id, method=method, ip=ip, detail=detail))


# -- the login code by email ----------------------------------------------------------------------------------------
async def email_login_code(session: AsyncSession, account: Account, attempt_id: uuid.UUID, code: str,
                           expires: datetime) -> None:
    """A password account without a mobile number gets its login code by email (GW-3)."""
    await outbox.add(session, VerificationCodeRequested(
        verification_id=attempt_id, account_id=account.id, purpose="login", channel="email", to_address=account.email or "",
        display_name=account.display_name, language=account.language, code=code, expires_at=expires))  # type: ignore[arg-type]


# -- forgotten password -----------------------------------------------------------------------------------------------
async def forgot_password(session: AsyncSession, settings: Settings, login: str, ip: str) -> None:
    """A username or email: when it is a password account's with an email, a single-use link goes there.
    Nothing is said either way; asking again replaces an open link (only the newest works)."""
    account = (await session.execute(select(Account).where(Account.username == login))).scalar_one_or_none()
    if account is None:
        account = (await session.execute(select(Account).where(Account.email == login))).scalar_one_or_none()
    if account is None or account.password_hash is None or not account.email:
        session.add(AuditEntry(event="password_reset_requested", ip=ip, detail="no password account with an email"))
        return
    if await _recent(session, PasswordReset.account_id, account.id, PasswordReset.created_at) >= settings.codes_per_account_per_10_min:
        _audit(session, "password_reset_rate_limited", account.id, "password_reset", ip)
        return
    await session.execute(update(PasswordReset).where(PasswordReset.account_id == account.id,
                                                      PasswordReset.state.in_(("open", "code"))).values(state="dead"))
    token = secrets.token_urlsafe(32)
    reset = PasswordReset(id=uuid.uuid4(), account_id=account.id, token_hash=tokens.hash_token(token), ip=ip,
                          expires_at=datetime.now(UTC) + timedelta(seconds=settings.password_reset_ttl_s), state="open",
                          wrong_tries=0)
    session.add(reset)
    _audit(session, "password_reset_requested", account.id, "password_reset", ip)
    await outbox.add(session, PasswordResetRequested(
        reset_id=reset.id, account_id=account.id, display_name=account.display_name, email=account.email,
        language=account.language, link=f"{settings.app_base_url.rstrip('/')}/password/reset/{token}?lang={account.language}",  # type: ignore[arg-type]
        expires_at=reset.expires_at))


@dataclass(frozen=True)
class ResetState:
    #: "choose-password", or "code" once a password is chosen and the SMS code is on its way
    step: str
    needs_code: bool
    expires_at: datetime
    sent_to: str | None = None


async def _open_reset(session: AsyncSession, token: str, now: datetime | None = None) -> tuple[PasswordReset, Account]:
    now = now or datetime.now(UTC)
    reset = (await session.execute(select(PasswordReset).where(PasswordReset.token_hash == tokens.hash_token(token))
                                   .with_for_update())).scalar_one_or_none()
    if reset is None or reset.state not in ("open", "code"):
        raise Problem(404, "reset-link-not-valid", LINK_NOT_VALID)
    if reset.expires_at <= now:
        raise Problem(410, "reset-link-expired", "this link has expired; ask for a new one")
    account = await session.get(Account, reset.account_id)
    assert account is not None
    return reset, account


async def check_reset(session: AsyncSession, token: str) -> ResetState:
    reset, account = await _open_reset(session, token)
    return ResetState("code" if reset.state == "code" else "choose-password", bool(account.phone), reset.expires_at,
                      rules.mask_phone(account.phone) if reset.state == "code" and account.phone else None)


async def reset_password(session: AsyncSession, db: Database, settings: Settings, token: str, new_password: str,
                         ip: str) -> ResetState | None:
    """The new password from the link's page. Without a mobile number it takes effect now (``None``);
    with one it waits for the SMS code (a new code each time the password is chosen again)."""
    from gateway.identity.service import check_new_password, hash_password

    reset, account = await _open_reset(session, token)
    check_new_password(settings, new_password, account.display_name, account.email, account.username)
    new_hash = await hash_password(new_password)
    if not account.phone:
        await _apply_reset(session, reset, account, new_hash, ip)
        return None
    sent = (await session.execute(select(func.count()).where(
        AuditEntry.account_id == account.id, AuditEntry.event == "password_reset_code_sent",
        AuditEntry.at > datetime.now(UTC) - timedelta(minutes=10)))).scalar_one()
    if sent >= settings.codes_per_account_per_10_min:  # choosing again and again must not send SMS after SMS
        raise _too_many_codes()
    _audit(session, "password_reset_code_sent", account.id, "password_reset", ip)
    code = rules.new_code()
    reset.state, reset.new_password_hash, reset.wrong_tries = "code", new_hash, 0
    reset.code_hash = rules.hash_code(code, str(reset.id))
    reset.code_expires_at = min(reset.expires_at, datetime.now(UTC) + timedelta(seconds=settings.code_ttl_s))
    await outbox.add(session, VerificationCodeRequested(
        verification_id=uuid.uuid4(), account_id=account.id, purpose="password_reset", channel="sms",
        to_address=account.phone, display_name=account.display_name, language=account.language,  # type: ignore[arg-type]
        code=code, expires_at=reset.code_expires_at))
    return ResetState("code", True, reset.expires_at, rules.mask_phone(account.phone))


async def reset_code(session: AsyncSession, db: Database, settings: Settings, token: str, code: str, ip: str,
                     now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    reset, account = await _open_reset(session, token, now)
    if reset.state != "code" or reset.code_hash is None or reset.new_password_hash is None:
        raise Problem(409, "choose-password-first", "choose the new password first; then the code is sent")
    if reset.code_expires_at is not None and reset.code_expires_at <= now:
        raise unauthorized("the code has expired; choose the password again for a new code")
    if not rules.codes_equal(reset.code_hash, rules.hash_code(code, str(reset.id))):
        reset_id, account_id = reset.id, account.id
        await session.rollback()
        await _wrong_try(db, PasswordReset, reset_id, ("code",), settings.code_max_attempts, account_id,
                         "password_reset", ip)
    await _apply_reset(session, reset, account, reset.new_password_hash, ip)


async def _apply_reset(session: AsyncSession, reset: PasswordReset, account: Account, new_hash: str, ip: str) -> None:
    """The new password counts; every session of the account ends (someone else may have had it)."""
    account.password_hash = new_hash
    account.must_change_password, account.temporary_password_expires_at = False, None
    reset.state, reset.new_password_hash, reset.code_hash = "used", None, None
    _audit(session, "password_reset", account.id, "password_reset", ip)
    await tokens.end_sessions(session, account.id, await tokens.other_sessions(session, account.id, None), "password_changed")


# -- adding an email or a phone -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CodeOut:
    verification_id: uuid.UUID
    sent_to: str  # "email" or "phone"
    to: str  # masked
    expires_at: datetime


async def add_contact(session: AsyncSession, settings: Settings, principal: Principal, kind: str, value: str,
                      ip: str) -> CodeOut:
    """A code goes to the new email (with a one-click link) or phone; the value counts once it is confirmed.
    An email that is another account's gets the same answer, but no code: its owner is told instead."""
    account = await session.get(Account, principal.account_id)
    if account is None:
        raise unauthorized("the account no longer exists")
    if await _recent(session, ContactVerification.account_id, account.id, ContactVerification.created_at) \
            >= settings.codes_per_account_per_10_min:
        _audit(session, "code_rate_limited", account.id, f"verify_{kind}", ip)
        raise _too_many_codes()
    owner = None
    if kind == "email":
        owner = (await session.execute(select(Account).where(Account.email == value, Account.id != account.id))).scalar_one_or_none()
    code, verification_id = rules.new_code(), uuid.uuid4()
    link_token = secrets.token_urlsafe(32) if kind == "email" else None
    expires = datetime.now(UTC) + timedelta(seconds=settings.code_ttl_s)
    session.add(ContactVerification(
        id=verification_id, account_id=account.id, kind=kind, value=value, expires_at=expires, wrong_tries=0,
        code_hash=rules.hash_code(code, str(verification_id)), state="taken" if owner else "open",
        link_token_hash=tokens.hash_token(link_token) if link_token else None))
    _audit(session, "contact_verification_requested", account.id, f"verify_{kind}", ip)
    if owner is not None:
        await outbox.add(session, RegistrationAttempted(account_id=owner.id, language=owner.language))  # type: ignore[arg-type]
    else:
        link = (f"{settings.app_base_url.rstrip('/')}/verify-email/{link_token}?lang={account.language}"
                if link_token else None)
        await outbox.add(session, VerificationCodeRequested(
            verification_id=verification_id, account_id=account.id, purpose=f"verify_{kind}",  # type: ignore[arg-type]
            channel="email" if kind == "email" else "sms", to_address=value, display_name=account.display_name,
            language=account.language, code=code, link=link, expires_at=expires))  # type: ignore[arg-type]
    masked = rules.mask_email(value) if kind == "email" else rules.mask_phone(value)
    return CodeOut(verification_id, "email" if kind == "email" else "phone", masked, expires)


async def confirm_contact(session: AsyncSession, db: Database, settings: Settings, principal: Principal,
                          verification_id: uuid.UUID, code: str, ip: str, now: datetime | None = None) -> Account:
    now = now or datetime.now(UTC)
    verification = await session.get(ContactVerification, verification_id, with_for_update=True)
    if verification is None or verification.account_id != principal.account_id:
        raise not_found("verification", verification_id)
    if verification.state not in ("open", "taken"):
        raise unauthorized("this code is not valid any more; ask for a new one")
    if verification.expires_at <= now:
        raise unauthorized("the code has expired; ask for a new one")
    if verification.state == "taken" or not rules.codes_equal(verification.code_hash, rules.hash_code(code, str(verification.id))):
        account_id, kind = verification.account_id, verification.kind
        await session.rollback()
        await _wrong_try(db, ContactVerification, verification_id, ("open", "taken"), settings.code_max_attempts,
                         account_id, f"verify_{kind}", ip)
    return await _apply_contact(session, verification, ip)


async def confirm_contact_link(session: AsyncSession, token: str, ip: str, now: datetime | None = None) -> None:
    """The one-click link in the verification email (the web app's page posts it; no sign-in needed: the
    link proves the person reads that mailbox)."""
    now = now or datetime.now(UTC)
    verification = (await session.execute(select(ContactVerification).where(
        ContactVerification.link_token_hash == tokens.hash_token(token)).with_for_update())).scalar_one_or_none()
    if verification is None or verification.state != "open":
        raise Problem(404, "verification-link-not-valid", LINK_NOT_VALID)
    if verification.expires_at <= now:
        raise Problem(410, "verification-link-expired", "this link has expired; add the email again for a new one")
    await _apply_contact(session, verification, ip)


async def _apply_contact(session: AsyncSession, verification: ContactVerification, ip: str) -> Account:
    from gateway.identity.service import _publish_contact

    account = await session.get(Account, verification.account_id, with_for_update=True)
    assert account is not None
    if verification.kind == "email":
        taken = (await session.execute(select(Account.id).where(Account.email == verification.value,
                                                                Account.id != account.id))).first()
        if taken is not None:  # another account verified it meanwhile: as if the code were wrong
            verification.state = "dead"
            raise unauthorized(WRONG_CODE)
        account.email = verification.value
    else:
        account.phone = verification.value
    verification.state = "used"
    await session.execute(update(ContactVerification).where(
        ContactVerification.account_id == account.id, ContactVerification.kind == verification.kind,
        ContactVerification.state.in_(("open", "taken"))).values(state="dead"))
    _audit(session, "contact_verified", account.id, f"verify_{verification.kind}", ip)
    await _publish_contact(session, account)
    return account


# -- BankID: an account someone else made (BK-12) ---------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    confirm_token: str
    made_by: str
    account_name: str
    expires_at: datetime


async def bankid_claim(session: AsyncSession, settings: Settings, account: Account, bankid_name: str | None,
                       ip: str) -> Claim:
    """The first BankID login matching an account someone made: nothing is signed in yet; the person is
    shown who made it (a display name) and confirms or declines with the single-use token."""
    maker = await session.get(Account, account.created_by) if account.created_by else None
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(seconds=settings.bankid_claim_ttl_s)
    session.add(BankIdClaim(token_hash=tokens.hash_token(token), account_id=account.id, name=bankid_name,
                            expires_at=expires, state="open"))
    _audit(session, "bankid_confirmation_asked", account.id, "bankid", ip)
    return Claim(token, maker.display_name if maker else "someone on the platform", account.display_name, expires)


async def answer_claim(session: AsyncSession, settings: Settings, key: SigningKey, confirm_token: str, confirm: bool,
                       ip: str) -> tokens.Tokens:
    """Confirmed: the account is the person's and the login completes in it. Declined: a fresh client
    account of their own takes the personal number; the one made for them stays, unlinked."""
    claim = (await session.execute(select(BankIdClaim).where(
        BankIdClaim.token_hash == tokens.hash_token(confirm_token), BankIdClaim.state == "open",
        BankIdClaim.expires_at > datetime.now(UTC)).with_for_update())).scalar_one_or_none()
    if claim is None:
        raise unauthorized("this confirmation is not valid any more; sign in with BankID again")
    premade = await session.get(Account, claim.account_id, with_for_update=True)
    assert premade is not None
    if confirm:
        claim.state, premade.bankid_confirmed_at = "confirmed", datetime.now(UTC)
        _audit(session, "bankid_account_confirmed", premade.id, "bankid", ip)
        _audit(session, "login_succeeded", premade.id, "bankid", ip)
        return await tokens.issue(session, key, settings, premade)
    from gateway.identity.service import _publish_contact

    claim.state = "declined"
    number_hmac, masked = premade.personal_number_hmac, premade.personal_number_masked
    premade.personal_number_hmac = None
    await session.flush()  # the number is unique: free it before the new account takes it
    own = Account(id=uuid.uuid4(), display_name=claim.name or "BankID user", roles=["client"],
                  personal_number_hmac=number_hmac, personal_number_masked=masked, bankid_confirmed_at=datetime.now(UTC))
    session.add(own)
    await session.flush()
    await _publish_contact(session, own)
    await outbox.add(session, AccountCreated(account_id=own.id, roles=["client"], display_name=own.display_name,
                                             has_personal_number=True))
    _audit(session, "bankid_account_declined", premade.id, "bankid", ip)
    _audit(session, "login_succeeded", own.id, "bankid", ip)
    return await tokens.issue(session, key, settings, own)
