"""Identity routes, served by the gateway itself under /identity (thin; use cases in identity.service)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, EmailStr, Field

from contracts.identity import HsaId, SwedishPersonalNumber
from gateway.adapters.bankid import BankId, BankIdStub
from gateway.directory import service as directory
from gateway.identity import recovery, service, tokens
from gateway.identity.models import Account
from kit.auth import CurrentPrincipal, Principal, bearer, bearer_token
from kit.net import client_ip
from kit.problems import Problem, not_found
from kit.service import DbSession
from kit.tls import presented_certificates

router = APIRouter(prefix="/identity", tags=["identity"])
Language = Literal["sv", "nb", "nl", "en"]


class TokensOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"
    expires_in: int
    scope: str


def _out(issued: tokens.Tokens) -> TokensOut:
    return TokensOut(access_token=issued.access_token, refresh_token=issued.refresh_token, expires_in=issued.expires_in,
                     scope=issued.scope)


def _ip(request: Request) -> str:
    return client_ip(request, request.app.state.settings.trusted_proxies)


@bearer
async def principal_allowing_limited(request: Request) -> Principal:
    """For the steps that finish signing in (password change, terms): a limited token is enough."""
    return await request.app.state.token_verifier.verify(bearer_token(request), allow_limited=True)


SigningIn = Annotated[Principal, Depends(principal_allowing_limited)]


jwks_router = APIRouter(tags=["identity"])


@jwks_router.get("/.well-known/jwks.json")
async def jwks(request: Request) -> dict:
    """The public keys services verify the gateway's tokens with."""
    return {"keys": [request.app.state.signing_key.jwk()]}


# -- BankID ------------------------------------------------------------------------------------------------------
class OrderRef(BaseModel):
    order_ref: uuid.UUID


class BankIdStarted(BaseModel):
    order_ref: uuid.UUID
    auto_start_token: str
    qr: str


class ConfirmAccount(BaseModel):
    """The first BankID login into an account someone else made: confirm it (POST /identity/bankid/confirm)
    or decline it (a fresh account of your own). ``made_by`` is the maker's display name."""

    confirm_token: str
    made_by: str
    account_name: str
    expires_at: datetime


class BankIdStatus(BaseModel):
    status: Literal["pending", "failed", "complete"]
    hint_code: str | None = None
    name: str | None = None
    tokens: TokensOut | None = None
    #: "confirm-account" when the login waits for the person to confirm an account made for them
    step: Literal["confirm-account"] | None = None
    confirm_account: ConfirmAccount | None = None


@router.post("/bankid/auth")
async def bankid_start(request: Request, session: DbSession) -> BankIdStarted:
    """Start a BankID login. Show the QR (refresh it every second from /bankid/qr) or open the app with
    the autoStartToken; then poll /bankid/collect."""
    bankid: BankId = request.app.state.bankid
    ip = _ip(request)
    async with service.throttled(session, request.app.state.db, request.app.state.settings, "bankid", ip, every_try=True):
        started = await bankid.auth(session, ip)
    order = await bankid.order(session, uuid.UUID(started["orderRef"]), lock=False)
    return BankIdStarted(order_ref=order.order_ref, auto_start_token=started["autoStartToken"], qr=bankid.qr(order))


@router.get("/bankid/qr/{order_ref}")
async def bankid_qr(order_ref: uuid.UUID, request: Request, session: DbSession) -> dict[str, str]:
    bankid: BankId = request.app.state.bankid
    return {"qr": bankid.qr(await bankid.order(session, order_ref, lock=False))}


@router.post("/bankid/collect")
async def bankid_collect(body: OrderRef, request: Request, session: DbSession) -> BankIdStatus:
    bankid: BankId = request.app.state.bankid
    answer = await bankid.collect(session, body.order_ref)
    if answer["status"] != "complete":
        return BankIdStatus(status=answer["status"], hint_code=answer.get("hintCode"))
    order = await bankid.order(session, body.order_ref)
    if order.collected:
        return BankIdStatus(status="failed", hint_code="alreadyCollected")
    order.collected = True
    issued = await service.bankid_login(session, request.app.state.settings, request.app.state.signing_key, order, _ip(request))
    if isinstance(issued, recovery.Claim):
        return BankIdStatus(status="complete", name=order.name, step="confirm-account", confirm_account=ConfirmAccount(
            confirm_token=issued.confirm_token, made_by=issued.made_by, account_name=issued.account_name,
            expires_at=issued.expires_at))
    return BankIdStatus(status="complete", name=order.name, tokens=_out(issued))


@router.post("/bankid/cancel", status_code=204)
async def bankid_cancel(body: OrderRef, request: Request, session: DbSession) -> None:
    bankid: BankId = request.app.state.bankid
    await bankid.cancel(session, body.order_ref)


class SimulatedSign(BaseModel):
    order_ref: uuid.UUID
    personal_number: str
    name: str = Field(min_length=1, max_length=200)


def _stub_only(request: Request) -> None:
    """The simulator plays the user's BankID app for the stub only."""
    if not isinstance(request.app.state.bankid, BankIdStub):
        raise not_found("page", request.url.path)


#: The BankID simulator: development and tests only (kit.service includes it only outside production).
simulator_router = APIRouter(prefix="/identity", tags=["development"], dependencies=[Depends(_stub_only)])


@simulator_router.post("/dev/bankid/sign", status_code=204)
async def simulate_sign(body: SimulatedSign, request: Request, session: DbSession) -> None:
    """Development and tests only: the user's BankID app signs the order as this person."""
    await request.app.state.bankid.simulate_sign(session, body.order_ref, body.personal_number, body.name)


@simulator_router.post("/dev/bankid/cancel", status_code=204)
async def simulate_cancel(body: OrderRef, request: Request, session: DbSession) -> None:
    """Development and tests only: the user cancels in the BankID app."""
    await request.app.state.bankid.simulate_cancel(session, body.order_ref)


# -- SITHS, password + SMS code, email -------------------------------------------------------------------------------
@router.post("/siths/login")
async def siths_login(request: Request, session: DbSession) -> TokensOut:
    """GW-2: SITHS by the card's client certificate, on the gateway's mutual-TLS port or through the
    TLS-terminating proxy (gateway.adapters.siths). The body is not read: an HSA-ID sent there counts for
    nothing (401 without a certificate). Throttled per client address."""
    state, settings, ip = request.app.state, request.app.state.settings, _ip(request)
    async with service.throttled(session, state.db, settings, "siths", ip):
        presented = presented_certificates(request, header=settings.siths_cert_header,
                                           trusted_proxies=settings.trusted_proxies)
        hsa = await service.siths_certificate(state.db, state.siths, presented, ip)
        return _out(await service.siths_login(session, state.db, settings, state.signing_key, hsa, ip))


@router.post("/siths/web", include_in_schema=False)
async def siths_web_login(request: Request, session: DbSession) -> RedirectResponse:
    """GW-2 for the web app: its SITHS page posts a form here, on the mutual-TLS port, so the browser presents
    the card's certificate; the login is the one above, and the browser goes back to the web app
    (GATEWAY_APP_BASE_URL) with the new session's refresh token and the web app's ``state``. The web app
    redeems that refresh token at once (POST /identity/token/refresh rotates it, so the one in the address is
    spent) and only when ``state`` matches the cookie it set (no login CSRF). A refused card goes back with
    ``error`` instead."""
    form = parse_qs((await request.body()).decode(errors="replace"))
    state = (form.get("state") or [""])[0][:200]
    back = f"{request.app.state.settings.app_base_url.rstrip('/')}/sign-in/siths/done"
    try:
        issued = await siths_login(request, session)
    except Problem as refused:
        return RedirectResponse(f"{back}?{urlencode({'state': state, 'error': refused.slug})}", status_code=303)
    return RedirectResponse(f"{back}?{urlencode({'state': state, 'handoff': issued.refresh_token})}", status_code=303)


class PasswordIn(BaseModel):
    username: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=1000)


class CodeSent(BaseModel):
    attempt_id: uuid.UUID
    #: where the code went: the account's mobile ("phone"), or its email when it has no mobile
    sent_to: Literal["phone", "email"]
    #: that address, masked
    to: str


@router.post("/password/login")
async def password_login(body: PasswordIn, request: Request, session: DbSession) -> CodeSent:
    """Step 1 of a password login (every password account): the username and password. When they are
    right, a code goes to the account's mobile, or by email where the account has no mobile."""
    state, ip = request.app.state, _ip(request)
    async with service.throttled(session, state.db, state.settings, "password", ip, account=body.username):
        attempt_id, sent_to, to = await service.start_password_login(session, state.db, state.settings, body.username,
                                                                     body.password, ip)
        return CodeSent(attempt_id=attempt_id, sent_to=sent_to, to=to)  # type: ignore[arg-type]


class CodeIn(BaseModel):
    attempt_id: uuid.UUID
    code: str = Field(pattern=r"^\d{6}$")


@router.post("/password/code")
async def password_code(body: CodeIn, request: Request, session: DbSession) -> TokensOut:
    """Step 2: the six-digit code (valid 10 minutes, this attempt only, five tries)."""
    state, ip = request.app.state, _ip(request)
    async with service.throttled(session, state.db, state.settings, "code", ip):
        return _out(await service.finish_password_login(session, state.db, state.settings, state.signing_key,
                                                        body.attempt_id, body.code, ip))


class EmailIn(BaseModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=1000)


@router.post("/email/login")
async def email_login(body: EmailIn, request: Request, session: DbSession) -> TokensOut:
    """GW-8: therapists who signed up with email and password."""
    state, ip = request.app.state, _ip(request)
    async with service.throttled(session, state.db, state.settings, "email", ip, account=body.email):
        return _out(await service.email_login(session, state.db, state.settings, state.signing_key, body.email,
                                              body.password, ip))


class RegisterIn(BaseModel):
    display_name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    phone: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$")
    password: str = Field(min_length=1, max_length=1000)
    language: Language = "sv"


class Registered(BaseModel):
    detail: str = ("if this email can be used, the account is ready: sign in with the email and password "
                   "(POST /identity/email/login); if it is in use already, its owner has been emailed")


@router.post("/register", status_code=202)
async def register(body: RegisterIn, request: Request, session: DbSession) -> Registered:
    """A therapist's own sign-up (BK-1): then sign in with email and password and apply in booking, where an
    admin reviews it. The same answer whether the email is new or in use (no enumeration), so no tokens."""
    state = request.app.state
    async with service.throttled(session, state.db, state.settings, "register", _ip(request), every_try=True):
        await service.register_therapist(session, state.settings, display_name=body.display_name, email=body.email,
                                         phone=body.phone, password=body.password, language=body.language)
    return Registered()


# -- finishing sign-in, sessions ------------------------------------------------------------------------------------
class PasswordChangeIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=1, max_length=1000)


@router.post("/password/change")
async def change_password(body: PasswordChangeIn, request: Request, session: DbSession, principal: SigningIn) -> TokensOut:
    state = request.app.state
    return _out(await service.change_password(session, state.db, state.settings, state.signing_key, principal,
                                              body.current_password, body.new_password, _ip(request)))


class TermsIn(BaseModel):
    version: str


@router.post("/terms/accept")
async def accept_terms(body: TermsIn, request: Request, session: DbSession, principal: SigningIn) -> TokensOut:
    state = request.app.state
    return _out(await service.accept_terms(session, state.settings, state.signing_key, principal, body.version, _ip(request)))


class ClientOut(BaseModel):
    id: uuid.UUID
    display_name: str


class MembershipOut(BaseModel):
    organisation_id: uuid.UUID
    kind: str
    name: str
    role: str


class MeOut(BaseModel):
    id: uuid.UUID
    display_name: str
    roles: list[str]
    must_change_password: bool
    terms_required: str | None
    acting_for: uuid.UUID | None
    represents: list[ClientOut]
    #: the account's own verified contact details (POST /identity/me/email, /identity/me/phone to change)
    email: str | None = None
    phone: str | None = None
    #: the roles the account holds in the directory's organisations
    memberships: list[MembershipOut] = []
    #: the account's language (sv, nb, nl, en): its pages, mails and SMS
    language: str = "sv"


@router.get("/me")
async def me(request: Request, session: DbSession, principal: SigningIn) -> MeOut:
    account = await session.get(Account, principal.account_id)
    if account is None:
        raise not_found("account", principal.account_id)
    settings = request.app.state.settings
    clients = await service.represented(session, account.id) if "representative" in account.roles else []
    memberships = [MembershipOut(organisation_id=o.id, kind=o.kind, name=o.name, role=m.role)
                   for m, o in await directory.memberships_of(session, account.id)]
    return MeOut(id=account.id, display_name=account.display_name, roles=account.roles,
                 must_change_password=account.must_change_password,
                 terms_required=None if account.terms_version == settings.terms_version else settings.terms_version,
                 acting_for=principal.acting_for, represents=[ClientOut(id=c.id, display_name=c.display_name) for c in clients],
                 email=account.email, phone=account.phone, memberships=memberships, language=account.language)


class ActForIn(BaseModel):
    client_id: uuid.UUID


@router.post("/act-for")
async def act_for(body: ActForIn, request: Request, session: DbSession, principal: CurrentPrincipal) -> TokensOut:
    """GW-6: a representative opens one client's portal; the new tokens act for that client only."""
    state = request.app.state
    return _out(await service.act_for(session, state.settings, state.signing_key, principal, body.client_id, _ip(request)))


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=10, max_length=200)


@router.post("/token/refresh")
async def refresh(body: RefreshIn, request: Request, session: DbSession) -> TokensOut:
    state = request.app.state
    return _out(await service.refresh(session, state.db, state.settings, state.signing_key, body.refresh_token, _ip(request)))


@router.post("/logout", status_code=204)
async def logout(body: RefreshIn, request: Request, session: DbSession) -> None:
    await service.logout(session, body.refresh_token, _ip(request))


# -- accounts made by others -----------------------------------------------------------------------------------------
class AccountIn(BaseModel):
    display_name: str = Field(min_length=1, max_length=200)
    roles: list[Literal["admin", "therapist", "client", "representative", "care_coordinator", "prescriber",
                        "aid_centre_staff", "controller"]] = Field(min_length=1)
    email: EmailStr | None = None
    phone: str | None = Field(default=None, pattern=r"^\+[1-9]\d{6,14}$")
    language: Language = "sv"
    personal_number: SwedishPersonalNumber | None = None
    hsa_id: HsaId | None = None
    username: str | None = Field(default=None, min_length=3, max_length=100)
    represents: list[uuid.UUID] = []
    #: the care organisation (or, for an admin, any organisation) the account is made in: it becomes a member
    #: with the role of each of its roles; required of a care coordinator, who makes accounts only there
    organisation_id: uuid.UUID | None = None


class AccountOut(BaseModel):
    id: uuid.UUID
    display_name: str
    roles: list[str]
    username: str | None
    temporary_password_sent: bool


@router.post("/accounts", status_code=201)
async def create_account(body: AccountIn, request: Request, session: DbSession, principal: CurrentPrincipal) -> AccountOut:
    """An account made by an admin, a care coordinator (portal users of their care organisation, PT-1) or an
    authorised therapist (a client, BK-12).
    The temporary password goes to the email through notify, never in this answer."""
    account, temporary = await service.create_account(
        session, request.app.state.settings, principal, display_name=body.display_name, roles=list(body.roles),
        email=body.email, phone=body.phone, language=body.language, personal_number=body.personal_number,
        hsa_id=body.hsa_id, username=body.username, represents=body.represents, organisation_id=body.organisation_id)
    return AccountOut(id=account.id, display_name=account.display_name, roles=account.roles, username=account.username,
                      temporary_password_sent=temporary is not None)


# -- ended sessions, for the services' processes (kit.sessions) ------------------------------------------------------
class EndedSessionOut(BaseModel):
    session_id: uuid.UUID
    ended_at: datetime


class EndedSessionsOut(BaseModel):
    sessions: list[EndedSessionOut]


@router.get("/sessions/ended")
async def sessions_ended(request: Request, session: DbSession, since: datetime) -> EndedSessionsOut:
    """Sessions ended since ``since``, asked by every service process at startup so that one starting after
    a logout refuses that session's access tokens too. Public on purpose: a session id is a random UUID that
    grants nothing and names no one (no account ids here), and a service needs no credential to ask. The
    window is clamped to the longest token lifetime: older ends are of no use to anyone."""
    settings = request.app.state.settings
    earliest = datetime.now(UTC) - timedelta(seconds=settings.jwt_max_lifetime_s + 5)
    since = max(since if since.tzinfo else since.replace(tzinfo=UTC), earliest)
    return EndedSessionsOut(sessions=[EndedSessionOut(session_id=sid, ended_at=at)
                                      for sid, at in await tokens.ended_since(session, since)])
