"""Identity use cases. Successes are written in the request's transaction; failures (wrong password or
code, lock-outs, token reuse) are written in a transaction of their own first, because the request's
transaction is rolled back when the problem is raised."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from cryptography import x509
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.gateway.v1 import (
    AccountCreated,
    ContactDetailsChanged,
    LoginCodeRequested,
    RegistrationAttempted,
    TemporaryPasswordIssued,
)
from contracts.identity import mask
from gateway.adapters.siths import CertificateRefused, SithsVerifier
from gateway.identity import recovery, rules, tokens
from gateway.identity.keys import SigningKey
from gateway.identity.models import (
    Account,
    AuditEntry,
    BankIdOrder,
    CodeAttempt,
    RefreshToken,
    Representation,
)
from gateway.settings import Settings
from kit import outbox, throttle
from kit.auth import Principal
from kit.db import Database
from kit.problems import Problem, conflict, forbidden, invalid, not_found, unauthorized

# argon2id with OWASP's minimum cost (19 MiB, 2 passes): ~20 ms a check
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = HASHER.hash("no such account: the same work is done either way")
WRONG_CREDENTIALS = "wrong username or password"


async def record(db: Database, event: str, *, account_id: uuid.UUID | None = None, method: str | None = None,
                 ip: str | None = None, detail: str | None = None) -> None:
    """Write an audit entry in its own transaction (kept even when the request fails)."""
    async with db.transaction() as session:
        session.add(AuditEntry(event=event, account_id=account_id, method=method, ip=ip, detail=detail))


def audit(session: AsyncSession, event: str, account: Account, method: str, ip: str | None, detail: str | None = None) -> None:
    session.add(AuditEntry(event=event, account_id=account.id, method=method, ip=ip, detail=detail))


@asynccontextmanager
async def throttled(session: AsyncSession, db: Database, settings: Settings, scope: str, ip: str, *,
                    account: str | None = None, every_try: bool = False) -> AsyncIterator[None]:
    """Wrap one credential check (kit.throttle): a locked account or address is refused with 429 before
    the credential is looked at, and the refusal audited; a 401 inside counts a failure for both keys
    (``every_try``: every attempt counts, for starts and sign-ups that verify nothing); a success
    forgives the account's failures. The account key is what the client typed, so an unknown username
    is throttled exactly like a known one."""
    account_policy, ip_policy = throttle.policies(settings)
    keys = {f"{scope}:ip:{ip}": ip_policy}
    account_key = throttle.key(scope, "account", account) if account else None
    if account_key:
        keys[account_key] = account_policy

    async def audit_refusal(seconds: int) -> None:
        await record(db, "throttled", method=scope, ip=ip, detail=f"retry after {seconds} s")

    async with throttle.guard(session, db, keys, reset=account_key, every_try=every_try, on_refused=audit_refusal):
        yield


async def verify_password(password_hash: str | None, password: str) -> bool:
    """Always does one argon2 verification, so timing does not tell whether the account exists."""
    try:
        return await asyncio.to_thread(HASHER.verify, password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, InvalidHashError):
        return False


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(HASHER.hash, password)


def check_new_password(settings: Settings, password: str, *known: str | None) -> None:
    """A chosen password: long and varied enough (rules.password_problems), and hard to guess by zxcvbn
    with the person's own names, email and username (``known``) and the published demo password."""
    if problems := rules.password_problems(password, settings.password_min_length):
        raise invalid(f"the password needs {', '.join(problems)}", missing=problems)
    if reasons := rules.weakness(password, known):
        raise invalid(f"the password is too easy to guess: {' '.join(reasons)}", reasons=reasons)


def _temporary_expired(account: Account, now: datetime) -> bool:
    return (account.must_change_password and account.temporary_password_expires_at is not None
            and account.temporary_password_expires_at <= now)


TEMPORARY_EXPIRED = "the temporary password has expired; ask the person who made your account for a new one"


async def _publish_contact(session: AsyncSession, account: Account) -> None:
    await outbox.add(session, ContactDetailsChanged(account_id=account.id, display_name=account.display_name,
                                                    email=account.email, phone=account.phone, language=account.language))


# -- accounts ---------------------------------------------------------------------------------------------------
#: Who may create which accounts: an admin anything, a coordinator portal users, a therapist clients.
CREATABLE = {
    "admin": {"admin", "therapist", "client", "representative", "care_coordinator", "prescriber", "aid_centre_staff"},
    "care_coordinator": {"client", "representative"},
    "therapist": {"client"},
}


async def _tell_owner(session: AsyncSession, owner: Account) -> None:
    """The details someone tried belong to ``owner``: they, not the one who tried, hear of it (by email)."""
    await outbox.add(session, RegistrationAttempted(account_id=owner.id, language=owner.language))  # type: ignore[arg-type]


async def create_account(session: AsyncSession, settings: Settings, creator: Principal, *, display_name: str,
                         roles: list[str], email: str | None, phone: str | None, language: str,
                         personal_number: str | None, hsa_id: str | None, username: str | None,
                         represents: list[uuid.UUID]) -> tuple[Account, str | None]:
    """An account made by someone else (GW-4, BK-12, PT-1). With an email it gets a temporary password,
    sent by notify; a personal identity number links a later BankID login to it.

    The answer never tells whether the email, username, personal number or HSA-ID is someone's already:
    then nothing is made, the owner is emailed, and the creator gets the same answer about an account
    that is never stored (its id leads nowhere), so a staff login cannot be used to probe who is a client."""
    allowed = set().union(*(CREATABLE.get(role, set()) for role in creator.roles))
    if not roles or not set(roles) <= allowed:
        raise forbidden(f"you may create accounts with the roles: {', '.join(sorted(allowed)) or 'none'}")
    pn_hmac = rules.identity_hmac(settings.identity_hmac_key.get_secret_value(), personal_number) if personal_number else None
    # Portal users (made by a coordinator) and staff get a temporary password by email; a client a
    # therapist creates with a personal number signs in with BankID instead (BK-12).
    temporary = _temporary_password() if email and not personal_number else None
    for column, value in ((Account.personal_number_hmac, pn_hmac), (Account.email, email), (Account.hsa_id, hsa_id),
                          (Account.username, username or email)):
        owner = (await session.execute(select(Account).where(column == value))).scalar_one_or_none() if value else None
        if owner is not None:
            await hash_password(temporary or "the same work either way")
            await _tell_owner(session, owner)
            return Account(id=uuid.uuid4(), display_name=display_name, roles=roles, username=username or email), temporary
    account = Account(
        id=uuid.uuid4(), display_name=display_name, roles=roles, email=email, phone=phone, language=language,
        username=username or email, password_hash=await hash_password(temporary) if temporary else None,
        must_change_password=temporary is not None, personal_number_hmac=pn_hmac,
        temporary_password_expires_at=_temporary_expiry(settings) if temporary else None,
        personal_number_masked=mask(personal_number) if personal_number else None, hsa_id=hsa_id,
        created_by=creator.account_id,
    )
    session.add(account)
    await session.flush()
    for client_id in represents:
        if await session.get(Account, client_id) is None:
            raise not_found("client account", client_id)
        session.add(Representation(representative_id=account.id, client_id=client_id))
    await _publish_contact(session, account)
    await outbox.add(session, AccountCreated(account_id=account.id, roles=roles, display_name=display_name,
                                             created_by=creator.account_id, has_personal_number=pn_hmac is not None))
    if temporary:
        await outbox.add(session, TemporaryPasswordIssued(
            account_id=account.id, display_name=display_name, username=account.username or "",
            temporary_password=temporary, email=email or "", language=language,  # type: ignore[arg-type]
            purpose=rules.credentials_purpose(roles, creator.roles)))  # type: ignore[arg-type]
    return account, temporary


def _temporary_expiry(settings: Settings) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=settings.temporary_password_ttl_s)


def _temporary_password() -> str:
    return secrets.token_urlsafe(9) + "-7a"  # ≥ 12 characters with upper, lower and a non-letter


async def register_therapist(session: AsyncSession, settings: Settings, *, display_name: str, email: str,
                             phone: str | None, password: str, language: str) -> Account | None:
    """GW-8 / BK-1: a therapist signs up with email and password (authorisation happens in booking), then
    signs in with them (email login). The answer is the same whether the email is new or someone's
    already (no enumeration): then nothing is made and the owner is emailed; ``None`` is returned."""
    check_new_password(settings, password, display_name, email)
    password_hash = await hash_password(password)  # before the look-up: the same work either way
    owner = (await session.execute(select(Account).where(Account.email == email))).scalar_one_or_none()
    if owner is not None:
        await _tell_owner(session, owner)
        return None
    account = Account(id=uuid.uuid4(), display_name=display_name, roles=["therapist"], email=email, phone=phone,
                      language=language, username=email, password_hash=password_hash)
    session.add(account)
    await session.flush()
    await _publish_contact(session, account)
    await outbox.add(session, AccountCreated(account_id=account.id, roles=["therapist"], display_name=display_name))
    return account


# -- password + SMS code (GW-3) -----------------------------------------------------------------------------------
async def start_password_login(session: AsyncSession, db: Database, settings: Settings, username: str, password: str,
                               ip: str) -> tuple[uuid.UUID, str, str]:
    """Step 1 of a password login: the code goes to the account's mobile number, or by email where it has
    none. Returns the attempt, where the code went ("phone" or "email") and that address masked."""
    account = (await session.execute(select(Account).where(Account.username == username))).scalar_one_or_none()
    password_ok = await verify_password(account.password_hash if account else None, password)
    if account is None or not password_ok:
        account_id = account.id if account else None
        await session.rollback()  # give the connection back before taking another: a burst cannot exhaust the pool
        await record(db, "login_failed", account_id=account_id, method="password", ip=ip,
                     detail="wrong password" if account_id else "unknown username")
        raise unauthorized(WRONG_CREDENTIALS)
    if _temporary_expired(account, datetime.now(UTC)):
        await record(db, "login_failed", account_id=account.id, method="password", ip=ip,
                     detail="temporary password expired")
        raise Problem(401, "temporary-password-expired", TEMPORARY_EXPIRED)
    if not account.phone and not account.email:
        raise Problem(409, "no-phone", "this account has neither a mobile number nor an email for the login code; "
                                       "ask the person who made it")
    window = datetime.now(UTC) - timedelta(minutes=10)
    per_account = (await session.execute(select(func.count()).where(CodeAttempt.account_id == account.id,
                                                                     CodeAttempt.created_at > window))).scalar_one()
    per_ip = (await session.execute(select(func.count()).where(CodeAttempt.ip == ip, CodeAttempt.created_at > window))).scalar_one()
    if per_account >= settings.codes_per_account_per_10_min or per_ip >= settings.codes_per_ip_per_10_min:
        await record(db, "code_rate_limited", account_id=account.id, method="password", ip=ip)
        problem = Problem(429, "too-many-codes", "too many login codes were requested; wait a few minutes")
        problem.headers["Retry-After"] = "600"
        raise problem
    attempt_id = uuid.uuid4()
    code = rules.new_code()
    expires = datetime.now(UTC) + timedelta(seconds=settings.code_ttl_s)
    session.add(CodeAttempt(id=attempt_id, account_id=account.id, code_hash=rules.hash_code(code, str(attempt_id)),
                            expires_at=expires, ip=ip))
    if account.phone:
        await outbox.add(session, LoginCodeRequested(attempt_id=attempt_id, account_id=account.id, phone=account.phone,
                                                     language=account.language, code=code, expires_at=expires))  # type: ignore[arg-type]
        return attempt_id, "phone", rules.mask_phone(account.phone)
    await recovery.email_login_code(session, account, attempt_id, code, expires)  # no mobile: the code by email
    return attempt_id, "email", rules.mask_email(account.email or "")


async def finish_password_login(session: AsyncSession, db: Database, settings: Settings, key: SigningKey,
                                attempt_id: uuid.UUID, code: str, ip: str, now: datetime | None = None) -> tokens.Tokens:
    now = now or datetime.now(UTC)
    attempt = await session.get(CodeAttempt, attempt_id)
    if attempt is None or attempt.state != "open":
        raise unauthorized("this login attempt is not valid any more; start again")
    if attempt.expires_at <= now:
        await record(db, "login_failed", account_id=attempt.account_id, method="sms_code", ip=ip, detail="code expired")
        raise unauthorized("the code has expired; start again")
    if not rules.codes_equal(attempt.code_hash, rules.hash_code(code, str(attempt.id))):
        attempt_id, account_id = attempt.id, attempt.account_id
        await session.rollback()  # give the connection back before taking another
        async with db.transaction() as own:  # counted atomically, and kept although this request fails
            tries = (await own.execute(
                update(CodeAttempt).where(CodeAttempt.id == attempt_id, CodeAttempt.state == "open")
                .values(wrong_tries=CodeAttempt.wrong_tries + 1).returning(CodeAttempt.wrong_tries))).scalar_one_or_none()
            dead = tries is None or tries >= settings.code_max_attempts
            if tries is not None and dead:
                await own.execute(update(CodeAttempt).where(CodeAttempt.id == attempt_id).values(state="dead"))
            own.add(AuditEntry(event="locked_out" if dead else "login_failed", account_id=account_id,
                               method="sms_code", ip=ip, detail=f"wrong code ({tries})"))
        raise unauthorized("wrong code; too many tries, start again" if dead else "wrong code")
    used = (await session.execute(
        update(CodeAttempt).where(CodeAttempt.id == attempt.id, CodeAttempt.state == "open").values(state="used")
        .returning(CodeAttempt.id))).first()
    if used is None:  # a parallel request used it, or the fifth wrong try killed it
        raise unauthorized("this login attempt is not valid any more; start again")
    account = await session.get(Account, attempt.account_id)
    assert account is not None
    audit(session, "login_succeeded", account, "password+sms_code", ip)
    return await tokens.issue(session, key, settings, account)


async def email_login(session: AsyncSession, db: Database, settings: Settings, key: SigningKey, email: str,
                      password: str, ip: str) -> tokens.Tokens:
    """GW-8: therapists who chose email and password at sign-up (no SMS code)."""
    account = (await session.execute(select(Account).where(Account.email == email))).scalar_one_or_none()
    ok = await verify_password(account.password_hash if account else None, password)
    if account is None or not ok or "therapist" not in account.roles:
        account_id = account.id if account else None
        await session.rollback()  # give the connection back before taking another
        await record(db, "login_failed", account_id=account_id, method="email", ip=ip)
        raise unauthorized(WRONG_CREDENTIALS)
    if _temporary_expired(account, datetime.now(UTC)):
        await record(db, "login_failed", account_id=account.id, method="email", ip=ip,
                     detail="temporary password expired")
        raise Problem(401, "temporary-password-expired", TEMPORARY_EXPIRED)
    audit(session, "login_succeeded", account, "email", ip)
    return await tokens.issue(session, key, settings, account)


# -- BankID (GW-1) and SITHS (GW-2) ----------------------------------------------------------------------------------
async def bankid_login(session: AsyncSession, settings: Settings, key: SigningKey, order: BankIdOrder,
                       ip: str) -> tokens.Tokens | recovery.Claim:
    """A completed order logs the person in: the account with that personal number, or a new client
    account. An account someone else made for them (BK-12) is first offered to confirm (recovery.Claim)."""
    account = (await session.execute(select(Account).where(Account.personal_number_hmac == order.personal_number_hmac))).scalar_one_or_none()
    if account is not None and rules.awaits_confirmation(account.created_by, account.personal_number_hmac,
                                                         account.bankid_confirmed_at):
        return await recovery.bankid_claim(session, settings, account, order.name, ip)
    if account is None:
        account = Account(id=uuid.uuid4(), display_name=order.name or "BankID user", roles=["client"],
                          personal_number_hmac=order.personal_number_hmac,
                          personal_number_masked=order.personal_number_masked, terms_version=None)
        session.add(account)
        await session.flush()
        await _publish_contact(session, account)
        await outbox.add(session, AccountCreated(account_id=account.id, roles=["client"], display_name=account.display_name,
                                                 has_personal_number=True))
    audit(session, "login_succeeded", account, "bankid", ip)
    return await tokens.issue(session, key, settings, account)


async def siths_certificate(db: Database, verifier: SithsVerifier, presented: Sequence[x509.Certificate], ip: str) -> str:
    """The HSA-ID of the presented SITHS certificate once verified; a refusal is audited with its fixed
    reason (never the certificate or an HSA-ID)."""
    try:
        return verifier.hsa_id(presented)
    except CertificateRefused as refused:
        await record(db, "login_failed", method="siths", ip=ip, detail=refused.reason)
        raise


async def siths_login(session: AsyncSession, db: Database, settings: Settings, key: SigningKey, hsa: str, ip: str) -> tokens.Tokens:
    """The account of a verified HSA-ID (``siths_certificate``): a prescriber, aid-centre staff or admin."""
    account = (await session.execute(select(Account).where(Account.hsa_id == hsa))).scalar_one_or_none()
    if account is None or not {"prescriber", "aid_centre_staff", "admin"} & set(account.roles):
        await record(db, "login_failed", method="siths", ip=ip, detail="unknown HSA-ID")
        raise unauthorized("no prescriber or aid-centre account has this HSA-ID")
    audit(session, "login_succeeded", account, "siths", ip)
    return await tokens.issue(session, key, settings, account)


# -- after login ----------------------------------------------------------------------------------------------------
async def change_password(session: AsyncSession, db: Database, settings: Settings, key: SigningKey, principal: Principal,
                          current: str, new: str, ip: str) -> tokens.Tokens:
    account = await session.get(Account, principal.account_id)
    if account is None:
        raise unauthorized("the account no longer exists")
    if not await verify_password(account.password_hash, current):
        await record(db, "password_change_failed", account_id=account.id, ip=ip)
        raise unauthorized("the current password is wrong")
    check_new_password(settings, new, account.display_name, account.email, account.username)
    if new == current:
        raise invalid("choose a new password, not the temporary one")
    account.password_hash = await hash_password(new)
    account.must_change_password, account.temporary_password_expires_at = False, None
    audit(session, "password_changed", account, "password", ip)
    # every other session ends; this one goes on with fresh tokens (its old refresh token counts as used)
    current = _session_id(principal)
    await tokens.end_sessions(session, account.id, await tokens.other_sessions(session, account.id, current),
                              "password_changed")
    if current is not None:
        await session.execute(update(RefreshToken).where(RefreshToken.family_id == current, RefreshToken.used_at.is_(None))
                              .values(used_at=datetime.now(UTC)))
    return await tokens.issue(session, key, settings, account, family_id=current, acting_for=principal.acting_for)


def _session_id(principal: Principal) -> uuid.UUID | None:
    try:
        return uuid.UUID(principal.session_id) if principal.session_id else None
    except ValueError:
        return None


async def accept_terms(session: AsyncSession, settings: Settings, key: SigningKey, principal: Principal, version: str,
                       ip: str) -> tokens.Tokens:
    if version != settings.terms_version:
        raise conflict("terms-version", f"the current terms are version {settings.terms_version}", current=settings.terms_version)
    account = await session.get(Account, principal.account_id)
    assert account is not None
    account.terms_version, account.terms_accepted_at = version, datetime.now(UTC)
    audit(session, "terms_accepted", account, None, ip, detail=f"version {version}")
    return await tokens.issue(session, key, settings, account)


async def represented(session: AsyncSession, representative_id: uuid.UUID) -> list[Account]:
    query = select(Account).join(Representation, Representation.client_id == Account.id).where(
        Representation.representative_id == representative_id).order_by(Account.display_name)
    return list((await session.execute(query)).scalars())


async def act_for(session: AsyncSession, settings: Settings, key: SigningKey, principal: Principal, client_id: uuid.UUID,
                  ip: str) -> tokens.Tokens:
    """GW-6: a representative chooses which client's portal to open; the new session acts for that one."""
    if client_id not in {c.id for c in await represented(session, principal.account_id)}:
        raise forbidden("you do not represent this client")
    account = await session.get(Account, principal.account_id)
    assert account is not None
    audit(session, "acting_for", account, None, ip, detail=str(client_id))
    return await tokens.issue(session, key, settings, account, acting_for=client_id)


async def refresh(session: AsyncSession, db: Database, settings: Settings, key: SigningKey, refresh_token: str,
                  ip: str) -> tokens.Tokens:
    now = datetime.now(UTC)
    claimed = (await session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == tokens.hash_token(refresh_token), RefreshToken.used_at.is_(None),
               RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > now)
        .values(used_at=now).returning(RefreshToken))).scalar_one_or_none()
    if claimed is None:
        stored = await tokens.find(session, refresh_token, lock=False)
        if stored is not None and stored.used_at is not None and stored.revoked_at is None:
            # a second use: the token was copied; end the whole session
            async with db.transaction() as own:
                await tokens.end_sessions(own, stored.account_id, [stored.family_id], "refresh_token_reused")
                own.add(AuditEntry(event="refresh_token_reused", account_id=stored.account_id, ip=ip, detail="session revoked"))
            raise unauthorized("this refresh token was used before; the session has been ended for safety")
        raise unauthorized("the refresh token is not valid; sign in again")
    if now - await tokens.session_started(session, settings, claimed.family_id) > timedelta(seconds=settings.session_max_age_s):
        raise unauthorized("this session is older than allowed: sign in again")
    account = await session.get(Account, claimed.account_id)
    assert account is not None
    return await tokens.issue(session, key, settings, account, family_id=claimed.family_id, acting_for=claimed.acting_for)


async def logout(session: AsyncSession, refresh_token: str, ip: str) -> None:
    stored = await tokens.find(session, refresh_token)
    if stored is None:
        return
    if stored.revoked_at is None:
        await tokens.end_sessions(session, stored.account_id, [stored.family_id], "logout")
    session.add(AuditEntry(event="logout", account_id=stored.account_id, ip=ip))


async def account_from_invitation(session: AsyncSession, settings: Settings, invitation_id: uuid.UUID,
                                  therapist_id: uuid.UUID, email: str, display_name: str, language: str) -> None:
    """BK-11: an accepted invitation becomes a client account with a temporary password (emailed by
    notify); ``AccountCreated`` names the invitation so booking lists the client with the therapist. An
    existing account with that email is reused (a person invited twice, or already a client)."""
    account = (await session.execute(select(Account).where(Account.email == email))).scalar_one_or_none()
    temporary = None
    if account is None:
        temporary = _temporary_password()
        account = Account(id=uuid.uuid4(), display_name=display_name, roles=["client"], email=email, language=language,
                          username=email, password_hash=await hash_password(temporary), must_change_password=True,
                          temporary_password_expires_at=_temporary_expiry(settings), created_by=therapist_id)
        session.add(account)
        await session.flush()
        await _publish_contact(session, account)
    await outbox.add(session, AccountCreated(account_id=account.id, roles=list(account.roles), display_name=account.display_name,
                                             created_by=therapist_id, invitation_id=invitation_id,
                                             has_personal_number=account.personal_number_hmac is not None))
    if temporary:
        await outbox.add(session, TemporaryPasswordIssued(account_id=account.id, display_name=display_name, username=email,
                                                          temporary_password=temporary, email=email, language=language,  # type: ignore[arg-type]
                                                          purpose="marketplace"))
