"""The pages behind the links in the platform's emails, and the start page the sign-in links open.

Each link's page answers GET with its form (nothing changes on GET: mail scanners open links) and POST with
the result, after checking the form's CSRF token. The gateway's problems become a page in the person's
language with the status the gateway gave (a used link 404, an expired one 410, bad input 422)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from web.gateway import Answer
from web.page import Page

router = APIRouter()
TOKEN = re.compile(r"^[A-Za-z0-9_-]{10,200}$")


def _link_page(handler: Callable[..., Any]) -> Callable[..., Any]:
    """A page whose path holds a link's token: a token of the wrong shape is a 404 page at once."""
    async def wrapped(token: str, request: Request) -> Response:
        if not TOKEN.match(token):
            page = Page(request)
            return page.message(page.t.error_title, page.t.link_not_valid, 404, alert=True)
        return await handler(token, Page(request))

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


# -- start page -------------------------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    page = Page(request)
    return page.render("home.html")


# -- forgotten password -----------------------------------------------------------------------------------------------
@router.get("/password/forgot", response_class=HTMLResponse)
async def forgot_form(request: Request) -> Response:
    return Page(request).render("forgot.html")


@router.post("/password/forgot", response_class=HTMLResponse)
async def forgot(request: Request) -> Response:
    page = Page(request)
    if (fields := await page.form()) is None:
        return page.csrf_refused()
    login = fields.get("login", "").strip()
    if not login:
        return page.render("forgot.html", 422, error=page.t.required)
    answer = await page.gateway.post("/identity/password/forgot", {"login": login}, client_ip=page.ip)
    if not answer.ok:
        return page.render("forgot.html", answer.status, error=page.t.too_many if answer.status == 429 else answer.detail)
    return page.message(page.t.forgot_title, page.t.forgot_sent)


def _reset_problem(page: Page, answer: Answer) -> HTMLResponse:
    return page.problem(answer, page.t.reset_title, {404: page.t.link_not_valid, 410: page.t.link_expired},
                        link=(page.action("/password/forgot"), page.t.ask_new_link))


async def reset_form(token: str, page: Page) -> Response:
    """The forgotten-password link: choose the new password (or type the SMS code when one was sent)."""
    answer = await page.gateway.post("/identity/password/reset/check", {"token": token}, client_ip=page.ip)
    if not answer.ok:
        return _reset_problem(page, answer)
    if answer.body.get("step") == "code":
        return page.render("code.html", sent_to=answer.body.get("sent_to") or "", action=page.action(f"{page.request.url.path}/code"))
    return page.render("reset.html", needs_code=answer.body.get("needs_code", False))


async def reset(token: str, page: Page) -> Response:
    if (fields := await page.form()) is None:
        return page.csrf_refused()
    new, repeated = fields.get("new_password", ""), fields.get("repeat_password", "")
    if not new:
        return page.render("reset.html", 422, error=page.t.required)
    if new != repeated:
        return page.render("reset.html", 422, error=page.t.passwords_differ)
    answer = await page.gateway.post("/identity/password/reset", {"token": token, "new_password": new}, client_ip=page.ip)
    if answer.status == 422:
        return page.render("reset.html", 422, error=f"{page.t.weak_password} {answer.detail}")
    if not answer.ok:
        return _reset_problem(page, answer)
    if answer.body.get("step") == "code":
        return page.render("code.html", sent_to=answer.body.get("sent_to") or "", action=page.action(f"{page.request.url.path}/code"))
    return page.message(page.t.reset_title, page.t.reset_done)


async def reset_code(token: str, page: Page) -> Response:
    if (fields := await page.form()) is None:
        return page.csrf_refused()
    code = fields.get("code", "").strip()
    if not re.fullmatch(r"\d{6}", code):
        return page.render("code.html", 422, error=page.t.code_label, sent_to="")
    answer = await page.gateway.post("/identity/password/reset/code", {"token": token, "code": code}, client_ip=page.ip)
    if answer.status == 401:
        return page.render("code.html", 401, error=page.t.wrong_code if answer.detail == "wrong code" else answer.detail,
                           sent_to="")
    if not answer.ok:
        return _reset_problem(page, answer)
    return page.message(page.t.reset_title, page.t.reset_done)


router.get("/password/reset/{token}", response_class=HTMLResponse)(_link_page(reset_form))
router.post("/password/reset/{token}", response_class=HTMLResponse)(_link_page(reset))
router.post("/password/reset/{token}/code", response_class=HTMLResponse)(_link_page(reset_code))


# -- invitation (BK-11) -----------------------------------------------------------------------------------------------
def _invitation_problem(page: Page, answer: Answer) -> HTMLResponse:
    return page.problem(answer, page.t.invitation_title, {404: page.t.link_not_valid, 409: page.t.invitation_used,
                                                          410: page.t.invitation_expired})


async def invitation_form(token: str, page: Page) -> Response:
    """The invitation link: the person names themselves and their account is made (by the gateway)."""
    return page.render("invitation.html")


async def accept_invitation(token: str, page: Page) -> Response:
    if (fields := await page.form()) is None:
        return page.csrf_refused()
    name = fields.get("display_name", "").strip()
    if not name or len(name) > 200:
        return page.render("invitation.html", 422, error=page.t.required, display_name=name)
    answer = await page.gateway.post(f"/api/booking/invitations/{token}/accept", {"display_name": name}, client_ip=page.ip)
    if not answer.ok:
        return _invitation_problem(page, answer)
    return page.message(page.t.invitation_title, page.t.invitation_done)


router.get("/invitations/{token}", response_class=HTMLResponse)(_link_page(invitation_form))
router.post("/invitations/{token}", response_class=HTMLResponse)(_link_page(accept_invitation))


# -- consent (JR-2) ---------------------------------------------------------------------------------------------------
async def consent_form(token: str, page: Page) -> Response:
    """The consent request's link: approve or deny."""
    return page.render("consent.html")


async def answer_consent(token: str, page: Page) -> Response:
    if (fields := await page.form()) is None:
        return page.csrf_refused()
    decision = fields.get("decision")
    if decision not in ("approve", "deny"):
        return page.render("consent.html", 422, error=page.t.required)
    answer = await page.gateway.post(f"/api/booking/consents/{token}/answer", {"approve": decision == "approve"},
                                     client_ip=page.ip)
    if not answer.ok:
        return page.problem(answer, page.t.consent_title, {404: page.t.link_not_valid, 409: page.t.consent_answered,
                                                           410: page.t.link_expired})
    return page.message(page.t.consent_title, page.t.consent_approved if decision == "approve" else page.t.consent_denied)


router.get("/consents/{token}", response_class=HTMLResponse)(_link_page(consent_form))
router.post("/consents/{token}", response_class=HTMLResponse)(_link_page(answer_consent))


# -- email verification -----------------------------------------------------------------------------------------------
async def verify_form(token: str, page: Page) -> Response:
    """The verification email's link: one press confirms the address."""
    return page.render("verify.html")


async def verify(token: str, page: Page) -> Response:
    if (await page.form()) is None:
        return page.csrf_refused()
    answer = await page.gateway.post("/identity/contact/verify-link", {"token": token}, client_ip=page.ip)
    if not answer.ok:
        return page.problem(answer, page.t.verify_title, {404: page.t.link_not_valid, 410: page.t.link_expired})
    return page.message(page.t.verify_title, page.t.verify_done)


router.get("/verify-email/{token}", response_class=HTMLResponse)(_link_page(verify_form))
router.post("/verify-email/{token}", response_class=HTMLResponse)(_link_page(verify))
