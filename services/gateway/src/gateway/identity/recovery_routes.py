"""Routes of identity.recovery under /identity: forgotten password, adding and verifying an email or phone,
confirming on BankID an account someone else made (thin; use cases in identity.recovery)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, EmailStr, Field

from gateway.identity import recovery, service
from gateway.identity.routes import TokensOut, _ip, _out
from kit.auth import CurrentPrincipal
from kit.service import DbSession
from kit.throttle import link_guard

router = APIRouter(prefix="/identity", tags=["identity"])
Token = Field(min_length=20, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")


# -- forgotten password ---------------------------------------------------------------------------------------------
class ForgotIn(BaseModel):
    login: str = Field(min_length=1, max_length=254, description="the username or the email of the account")


class Accepted(BaseModel):
    detail: str


@router.post("/password/forgot", status_code=202)
async def forgot_password(body: ForgotIn, request: Request, session: DbSession) -> Accepted:
    """"Wachtwoord vergeten?": when the username or email is a password account's, a single-use link
    (valid 30 minutes) goes to the account's email. Always this answer (no enumeration); throttled per
    address and per client address."""
    state, ip = request.app.state, _ip(request)
    async with service.throttled(session, state.db, state.settings, "reset", ip, account=body.login.strip().lower(),
                                 every_try=True):
        await recovery.forgot_password(session, state.settings, body.login.strip(), ip)
    return Accepted(detail="if this is the username or email of an account with a password, a link to choose a new "
                           "password has been emailed to it; it works once, within 30 minutes")


class ResetTokenIn(BaseModel):
    token: str = Token


class ResetIn(ResetTokenIn):
    new_password: str = Field(min_length=1, max_length=1000)


class ResetCodeIn(ResetTokenIn):
    code: str = Field(pattern=r"^\d{6}$")


class ResetOut(BaseModel):
    #: "choose-password": the link is good, choose a password; "code": type the SMS code sent to ``sent_to``;
    #: "done": the new password counts, every session of the account has ended: sign in with it
    step: Literal["choose-password", "code", "done"]
    needs_code: bool = False
    expires_at: datetime | None = None
    sent_to: str | None = None


def _reset_out(state: recovery.ResetState | None) -> ResetOut:
    if state is None:
        return ResetOut(step="done")
    return ResetOut(step=state.step, needs_code=state.needs_code, expires_at=state.expires_at,  # type: ignore[arg-type]
                    sent_to=state.sent_to)


@router.post("/password/reset/check")
async def check_reset(body: ResetTokenIn, request: Request, session: DbSession) -> ResetOut:
    """Whether a reset link still works, and whether an SMS code will be asked (the page's first look)."""
    async with link_guard(request, session, "reset"):
        return _reset_out(await recovery.check_reset(session, body.token))


@router.post("/password/reset")
async def reset_password(body: ResetIn, request: Request, session: DbSession) -> ResetOut:
    """The new password from the link's page: it counts now ("done"), or, where the account has a mobile
    number, once the SMS code sent now is typed ("code")."""
    state, ip = request.app.state, _ip(request)
    async with link_guard(request, session, "reset"):
        return _reset_out(await recovery.reset_password(session, state.db, state.settings, body.token,
                                                        body.new_password, ip))


@router.post("/password/reset/code")
async def reset_code(body: ResetCodeIn, request: Request, session: DbSession) -> ResetOut:
    """The SMS code of a reset (valid 10 minutes, five tries); then the new password counts."""
    state, ip = request.app.state, _ip(request)
    async with link_guard(request, session, "reset"), service.throttled(session, state.db, state.settings, "code", ip):
        await recovery.reset_code(session, state.db, state.settings, body.token, body.code, ip)
    return ResetOut(step="done")


# -- email and phone ------------------------------------------------------------------------------------------------
class EmailChangeIn(BaseModel):
    email: EmailStr


class PhoneChangeIn(BaseModel):
    phone: str = Field(pattern=r"^\+[1-9]\d{6,14}$", description="international form, +46701234567")


class CodeOut(BaseModel):
    verification_id: uuid.UUID
    sent_to: Literal["email", "phone"]
    to: str
    expires_at: datetime


def _code_out(sent: recovery.CodeOut) -> CodeOut:
    return CodeOut(verification_id=sent.verification_id, sent_to=sent.sent_to, to=sent.to,  # type: ignore[arg-type]
                   expires_at=sent.expires_at)


@router.post("/me/email", status_code=202)
async def add_email(body: EmailChangeIn, request: Request, session: DbSession, principal: CurrentPrincipal) -> CodeOut:
    """Add or change the account's email: a code (and a one-click link) goes there; it counts once
    confirmed (POST /identity/me/contact/confirm). The same answer when the email is someone else's."""
    state = request.app.state
    return _code_out(await recovery.add_contact(session, state.settings, principal, "email", str(body.email), _ip(request)))


@router.post("/me/phone", status_code=202)
async def add_phone(body: PhoneChangeIn, request: Request, session: DbSession, principal: CurrentPrincipal) -> CodeOut:
    """Add or change the account's mobile number: a code goes there by SMS; it counts once confirmed."""
    state = request.app.state
    return _code_out(await recovery.add_contact(session, state.settings, principal, "phone", body.phone, _ip(request)))


class ConfirmIn(BaseModel):
    verification_id: uuid.UUID
    code: str = Field(pattern=r"^\d{6}$")


class ContactOut(BaseModel):
    email: str | None
    phone: str | None


@router.post("/me/contact/confirm")
async def confirm_contact(body: ConfirmIn, request: Request, session: DbSession, principal: CurrentPrincipal) -> ContactOut:
    """The six-digit code (valid 10 minutes, five tries): the new email or phone counts from now."""
    state, ip = request.app.state, _ip(request)
    async with service.throttled(session, state.db, state.settings, "code", ip):
        account = await recovery.confirm_contact(session, state.db, state.settings, principal, body.verification_id,
                                                 body.code, ip)
    return ContactOut(email=account.email, phone=account.phone)


class LinkIn(BaseModel):
    token: str = Token


@router.post("/contact/verify-link")
async def verify_link(body: LinkIn, request: Request, session: DbSession) -> Accepted:
    """The verification email's link (its web page posts the token here): the email counts from now."""
    async with link_guard(request, session, "verify"):
        await recovery.confirm_contact_link(session, body.token, _ip(request))
    return Accepted(detail="the email address is verified")


# -- BankID: confirming an account someone else made ----------------------------------------------------------------
class ClaimIn(BaseModel):
    confirm_token: str = Token
    confirm: bool = Field(description="true: the account is mine; false: make me a fresh account of my own")


@router.post("/bankid/confirm")
async def confirm_account(body: ClaimIn, request: Request, session: DbSession) -> TokensOut:
    """The answer to a BankID login's "confirm-account" step; the login then completes."""
    state, ip = request.app.state, _ip(request)
    async with service.throttled(session, state.db, state.settings, "bankid-confirm", ip):
        return _out(await recovery.answer_claim(session, state.settings, state.signing_key, body.confirm_token,
                                                body.confirm, ip))
