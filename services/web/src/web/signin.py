"""Signing in by every method, each a page (GW-1..GW-6), and signing out.

- BankID: the order starts at the gateway; the page shows the animated QR (the gateway's QR data, a new
  code every poll) and htmx polls collect; in development a form plays the user's BankID app (the
  gateway's simulator). The order's reference lives in a signed cookie, never in the page's links.
- SITHS: a form posts the browser to the gateway's mutual-TLS port (WEB_SITHS_URL), where the card's
  certificate is the login; the gateway sends the browser back with the new session's refresh token and the
  ``state`` this page put in a one-time cookie (no login CSRF), which the web app redeems at once.
- Username + password, then the code the SMS (or, without a mobile, the mail) brought; an email + password
  (a therapist who signed up) signs in at once.
- Then what the gateway still asks of a limited session: a new password (first login), the terms; a
  representative chooses the client to act for.

Each step's answer from the gateway becomes the session cookie (web.session); the person lands where they
were going (``?next=``, remembered in a cookie) or on the start page."""

from __future__ import annotations

import json
import secrets
from dataclasses import replace
from typing import Any

import segno
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from web import rules
from web import session as sessions
from web.page import Page

router = APIRouter()
NEXT = "web_next"
BANKID = "web_bankid"
ATTEMPT = "web_attempt"
SITHS_STATE = "web_siths"
CLAIM = "web_claim"


def qr_svg(data: str) -> str:
    """The BankID QR code as inline SVG (the data changes every second: the animated QR)."""
    return segno.make(data, error="l").svg_inline(scale=5, border=2, dark="#000", light="#fff")


async def signed_in(page: Page, tokens: dict[str, Any]) -> Response:
    """The gateway's tokens become the session; then the next step of signing in, or the page the person
    was going to."""
    page.start_session(sessions.Session.of(tokens, keep=page.session))
    return await next_step(page)


async def next_step(page: Page) -> Response:
    me = await page.call("GET", "/identity/me", limited_ok=True)
    if not me.ok:
        return page.problem(me, page.t.sign_in_title)
    body = me.body
    assert page.session is not None
    page.start_session(replace(
        page.session, name=str(body.get("display_name", "")), language=str(body.get("language", "")),
        roles=tuple(body.get("roles", ())),
        represents=tuple((str(c["id"]), str(c["display_name"])) for c in body.get("represents", ()))))
    if body.get("must_change_password"):
        return page.redirect("/sign-in/password-change")
    if body.get("terms_required"):
        return page.redirect("/sign-in/terms")
    if page.session.represents and page.session.acting_for is None:
        return page.redirect("/sign-in/choose-client")
    page.clear_cookie(NEXT)
    return page.redirect(rules.safe_next(page.cookie(NEXT)))


# -- choosing a way --------------------------------------------------------------------------------------------
@router.get("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    page = Page(request)
    if wanted := request.query_params.get("next"):
        page.set_cookie(NEXT, rules.safe_next(wanted), max_age=1800)
    return page.render("signin.html")


# -- BankID (GW-1) ---------------------------------------------------------------------------------------------
@router.get("/sign-in/bankid", response_class=HTMLResponse)
async def bankid(request: Request) -> Response:
    page = Page(request)
    started = await page.gateway.post("/identity/bankid/auth", {}, client_ip=page.ip)
    if not started.ok:
        return page.problem(started, page.t.bankid_title)
    page.set_cookie(BANKID, str(started.body["order_ref"]), max_age=300)
    return page.render("bankid.html", qr=qr_svg(started.body["qr"]), auto_start=started.body["auto_start_token"],
                       state="pending", hint=None, simulator=not page.settings.is_production)


@router.post("/sign-in/bankid/collect", response_class=HTMLResponse)
async def bankid_collect(request: Request) -> Response:
    """htmx polls this every two seconds: the status, and the QR's next code while it is pending."""
    page = Page(request)
    if await page.form() is None:
        return page.csrf_refused()
    order_ref = page.cookie(BANKID)
    if order_ref is None:
        return page.render("bankid_status.html", state="failed", hint="expiredTransaction")
    answer = await page.gateway.post("/identity/bankid/collect", {"order_ref": order_ref}, client_ip=page.ip)
    if not answer.ok:
        return page.render("bankid_status.html", state="failed", hint=answer.problem or "failed")
    status = answer.body.get("status")
    if status == "pending":
        qr = await page.gateway.get(f"/identity/bankid/qr/{order_ref}", client_ip=page.ip)
        return page.render("bankid_status.html", state="pending", hint=answer.body.get("hint_code"),
                           qr=qr_svg(qr.body["qr"]) if qr.ok else None)
    if status == "failed":
        page.clear_cookie(BANKID)
        return page.render("bankid_status.html", state="failed", hint=answer.body.get("hint_code"))
    page.clear_cookie(BANKID)
    if answer.body.get("step") == "confirm-account":
        claim = answer.body["confirm_account"]
        page.set_cookie(CLAIM, json.dumps([claim["confirm_token"], claim["made_by"], claim["account_name"]]), max_age=600)
        return page.redirect(page.action("/sign-in/bankid/confirm"))
    return await signed_in(page, answer.body["tokens"])


@router.post("/sign-in/bankid/simulate", response_class=HTMLResponse)
async def bankid_simulate(request: Request) -> Response:
    """Development only: the simulator approves the order as the person typed in (the user's BankID app)."""
    page = Page(request)
    if page.settings.is_production:
        return page.message(page.t.error_title, page.t.not_found, 404, alert=True)
    fields = await page.form()
    if fields is None:
        return page.csrf_refused()
    order_ref = page.cookie(BANKID)
    number, name = fields.get("personal_number", "").strip(), fields.get("name", "").strip()
    if order_ref is None or not number or not name:
        return page.render("simulated.html", error=page.t.required)  # 200: htmx swaps only a 2xx
    answer = await page.gateway.post("/identity/dev/bankid/sign", {"order_ref": order_ref, "personal_number": number,
                                                                   "name": name}, client_ip=page.ip)
    if not answer.ok:
        return page.render("simulated.html", error=page.error_text(answer))
    return page.render("simulated.html", done=True)


@router.get("/sign-in/bankid/confirm", response_class=HTMLResponse)
async def bankid_claim_form(request: Request) -> Response:
    """A first BankID login into an account someone made for the person: confirm it, or take a fresh one."""
    page = Page(request)
    claim = _claim(page)
    if claim is None:
        return page.redirect(page.action("/sign-in/bankid"))
    return page.render("claim.html", made_by=claim[1], account=claim[2])


def _claim(page: Page) -> list[str] | None:
    """The confirm-account step's (token, maker's name, account's name), kept in a signed cookie, not the address."""
    try:
        found = json.loads(page.cookie(CLAIM) or "null")
    except ValueError:
        return None
    return [str(part) for part in found] if isinstance(found, list) and len(found) == 3 else None


@router.post("/sign-in/bankid/confirm", response_class=HTMLResponse)
async def bankid_claim(request: Request) -> Response:
    page = Page(request)
    fields = await page.form()
    if fields is None:
        return page.csrf_refused()
    claim = _claim(page)
    if claim is None:
        return page.message(page.t.bankid_title, page.t.link_expired, 410, alert=True,
                            link=(page.action("/sign-in/bankid"), page.t.try_again))
    answer = await page.gateway.post("/identity/bankid/confirm", {"confirm_token": claim[0],
                                                                  "confirm": fields.get("decision") == "confirm"},
                                     client_ip=page.ip)
    page.clear_cookie(CLAIM)
    if not answer.ok:
        return page.problem(answer, page.t.bankid_title)
    return await signed_in(page, answer.body)


# -- SITHS (GW-2) ----------------------------------------------------------------------------------------------
@router.get("/sign-in/siths", response_class=HTMLResponse)
async def siths(request: Request) -> Response:
    page = Page(request)
    state = secrets.token_urlsafe(24)
    page.set_cookie(SITHS_STATE, state, max_age=600)
    return page.render("siths.html", siths_action=f"{page.settings.siths_url.rstrip('/')}/identity/siths/web",
                       state=state)


@router.get("/sign-in/siths/done", response_class=HTMLResponse)
async def siths_done(request: Request) -> Response:
    """The gateway sends the browser back here after the card's login (see the module's docstring)."""
    page = Page(request)
    expected = page.cookie(SITHS_STATE)
    page.clear_cookie(SITHS_STATE)
    state = request.query_params.get("state", "")
    if expected is None or not secrets.compare_digest(expected, state):
        return page.message(page.t.siths_title, page.t.siths_again, 400, alert=True,
                            link=(page.action("/sign-in/siths"), page.t.try_again))
    if error := request.query_params.get("error"):
        return page.message(page.t.siths_title, page.t.siths_refused if error != "too-many-attempts" else page.t.too_many,
                            401, alert=True, link=(page.action("/sign-in/siths"), page.t.try_again))
    handoff = request.query_params.get("handoff", "")
    answer = await page.gateway.post("/identity/token/refresh", {"refresh_token": handoff}, client_ip=page.ip)
    if not answer.ok:
        return page.message(page.t.siths_title, page.t.siths_again, 401, alert=True,
                            link=(page.action("/sign-in/siths"), page.t.try_again))
    return await signed_in(page, answer.body)


# -- username or email + password, then the code (GW-3, GW-8) ------------------------------------------------
@router.get("/sign-in/password", response_class=HTMLResponse)
async def password_form(request: Request) -> Response:
    return Page(request).render("password.html")


@router.post("/sign-in/password", response_class=HTMLResponse)
async def password(request: Request) -> Response:
    page = Page(request)
    fields = await page.form()
    if fields is None:
        return page.csrf_refused()
    login, secret = fields.get("login", "").strip(), fields.get("password", "")
    if not login or not secret:
        return page.render("password.html", 422, error=page.t.required, login=login)
    if "@" in login:  # a therapist who signed up with their email (GW-8): no code
        answer = await page.gateway.post("/identity/email/login", {"email": login, "password": secret}, client_ip=page.ip)
        if not answer.ok:
            return page.render("password.html", answer.status, login=login,
                               error=page.t.wrong_login if answer.status in (401, 422) else page.error_text(answer))
        return await signed_in(page, answer.body)
    answer = await page.gateway.post("/identity/password/login", {"username": login, "password": secret}, client_ip=page.ip)
    if not answer.ok:
        text = {401: page.t.wrong_login, 422: page.t.wrong_login}.get(answer.status) or page.error_text(answer)
        if answer.problem == "temporary-password-expired":
            text = page.t.temporary_expired
        return page.render("password.html", answer.status, error=text, login=login)
    page.set_cookie(ATTEMPT, f"{answer.body['attempt_id']}|{answer.body.get('sent_to', 'phone')}|{answer.body.get('to', '')}",
                    max_age=600)
    return page.redirect(page.action("/sign-in/code"))


def _attempt(page: Page) -> tuple[str, str, str] | None:
    found = page.cookie(ATTEMPT)
    if not found or found.count("|") < 2:
        return None
    attempt, sent_to, to = found.split("|", 2)
    return attempt, sent_to, to


@router.get("/sign-in/code", response_class=HTMLResponse)
async def code_form(request: Request) -> Response:
    page = Page(request)
    attempt = _attempt(page)
    if attempt is None:
        return page.redirect(page.action("/sign-in/password"))
    return page.render("code.html", sent_to=attempt[2], by_mail=attempt[1] == "email", action=page.action())


@router.post("/sign-in/code", response_class=HTMLResponse)
async def code(request: Request) -> Response:
    page = Page(request)
    fields = await page.form()
    if fields is None:
        return page.csrf_refused()
    attempt = _attempt(page)
    if attempt is None:
        return page.redirect(page.action("/sign-in/password"))
    typed = fields.get("code", "").strip()
    if not typed.isdigit() or len(typed) != 6:
        return page.render("code.html", 422, error=page.t.code_label, sent_to=attempt[2], action=page.action())
    answer = await page.gateway.post("/identity/password/code", {"attempt_id": attempt[0], "code": typed}, client_ip=page.ip)
    if not answer.ok:
        text = page.t.wrong_code if answer.status in (401, 422) else page.error_text(answer)
        return page.render("code.html", answer.status, error=text, sent_to=attempt[2], action=page.action())
    page.clear_cookie(ATTEMPT)
    return await signed_in(page, answer.body)


# -- what a limited session still has to do (GW-4, GW-5) ---------------------------------------------------
@router.get("/sign-in/finish", response_class=HTMLResponse)
async def finish(request: Request) -> Response:
    page = Page(request)
    page.require(limited_ok=True)
    return await next_step(page)


@router.get("/sign-in/password-change", response_class=HTMLResponse)
async def change_form(request: Request) -> Response:
    page = Page(request)
    page.require(limited_ok=True)
    return page.render("password_change.html")


@router.post("/sign-in/password-change", response_class=HTMLResponse)
async def change(request: Request) -> Response:
    page = Page(request)
    page.require(limited_ok=True)
    fields = await page.form()
    if fields is None:
        return page.csrf_refused()
    current, new, repeated = (fields.get(k, "") for k in ("current_password", "new_password", "repeat_password"))
    if not current or not new:
        return page.render("password_change.html", 422, error=page.t.required)
    if new != repeated:
        return page.render("password_change.html", 422, error=page.t.passwords_differ)
    answer = await page.call("POST", "/identity/password/change", json={"current_password": current, "new_password": new},
                             limited_ok=True)
    if answer.status == 422:
        return page.render("password_change.html", 422, error=f"{page.t.weak_password} {answer.detail}")
    if not answer.ok:
        text = page.t.wrong_current if answer.status in (400, 401, 403) else page.error_text(answer)
        return page.render("password_change.html", answer.status, error=text)
    return await signed_in(page, answer.body)


@router.get("/sign-in/terms", response_class=HTMLResponse)
async def terms_form(request: Request) -> Response:
    page = Page(request)
    page.require(limited_ok=True)
    me = await page.call("GET", "/identity/me", limited_ok=True)
    version = me.body.get("terms_required")
    if not version:
        return page.redirect("/sign-in/finish")
    return page.render("terms.html", version=version)


@router.post("/sign-in/terms", response_class=HTMLResponse)
async def terms(request: Request) -> Response:
    page = Page(request)
    page.require(limited_ok=True)
    fields = await page.form()
    if fields is None:
        return page.csrf_refused()
    version = fields.get("version", "")
    if fields.get("accept") != "yes" or not version:
        return page.render("terms.html", 422, error=page.t.terms_must, version=version)
    answer = await page.call("POST", "/identity/terms/accept", json={"version": version}, limited_ok=True)
    if not answer.ok:
        return page.render("terms.html", answer.status, error=page.error_text(answer), version=version)
    return await signed_in(page, answer.body)


# -- a representative's client (GW-6) -------------------------------------------------------------------------
@router.get("/sign-in/choose-client", response_class=HTMLResponse)
async def choose_form(request: Request) -> Response:
    page = Page(request)
    session = page.require()
    return page.render("choose_client.html", clients=session.represents)


@router.post("/sign-in/choose-client", response_class=HTMLResponse)
async def choose(request: Request) -> Response:
    page = Page(request)
    session = page.require()
    fields = await page.form()
    if fields is None:
        return page.csrf_refused()
    chosen = next((pair for pair in session.represents if pair[0] == fields.get("client_id")), None)
    if chosen is None:
        return page.render("choose_client.html", 422, error=page.t.required, clients=session.represents)
    answer = await page.call("POST", "/identity/act-for", json={"client_id": chosen[0]})
    if not answer.ok:
        return page.render("choose_client.html", answer.status, error=page.error_text(answer), clients=session.represents)
    page.start_session(replace(sessions.Session.of(answer.body, keep=session), acting_for=chosen))
    page.clear_cookie(NEXT)
    return page.redirect(rules.safe_next(page.cookie(NEXT)))


# -- signing out ------------------------------------------------------------------------------------------------
@router.post("/sign-out", response_class=HTMLResponse)
async def sign_out(request: Request) -> Response:
    page = Page(request)
    if await page.form() is None:
        return page.csrf_refused()
    if page.session is not None:
        await page.gateway.post("/identity/logout", {"refresh_token": page.session.refresh_token}, client_ip=page.ip)
    page.start_session(None)
    return page.message(page.t.signed_out_title, page.t.signed_out, link=(page.action("/sign-in"), page.t.sign_in_again))


# -- the start page of a signed-in person -----------------------------------------------------------------------
@router.get("/start", response_class=HTMLResponse)
async def start(request: Request) -> Response:
    page = Page(request)
    session = page.require()
    return page.render("start.html", client="client" in session.roles or session.acting_for is not None,
                       session=session)
