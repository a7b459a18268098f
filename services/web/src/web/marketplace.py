"""The marketplace client's pages (BK-4, BK-8, BK-15..BK-17, BL-1, JR-2), each a call or two to booking and
billing through the gateway as the signed-in client:

questionnaire → ranked matches with their explanation → a therapist's public page and free slots → reserve →
pay on the payment provider's page (the development stub's: its test cards, billing's pay route) → the
confirmation, as soon as the payment has confirmed the booking (htmx polls it); my bookings, with the
24-hour rule shown before cancelling; the consents asked of me, answered here (or through the mail's link)
and withdrawn here."""

from __future__ import annotations

import hashlib
import time
import uuid

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from web import rules
from web.page import Page

router = APIRouter(prefix="/marketplace")
B, BL = "/api/booking", "/api/billing"
#: the development provider's test cards (billing.adapters.payment_provider.PAYMENT_METHODS)
STUB_CARDS = ("stub_card_ok", "stub_card_declined")


def _uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _area_name(area: dict, language: str) -> str:
    return area.get("name_sv") if language in ("sv", "nb") else area.get("name_en") or area.get("code", "")


def _reasons(tree: list[dict], language: str, depth: int = 0) -> list[tuple[str, str, int]]:
    """The contact reasons' tree, flattened for a list of radio buttons: (code, name, depth)."""
    found: list[tuple[str, str, int]] = []
    for node in tree:
        found.append((node["code"], _area_name(node, language), depth))
        found.extend(_reasons(node.get("children") or [], language, depth + 1))
    return found


def _key(page: Page, purpose: str) -> str:
    """An Idempotency-Key for one person's one action on one page: pressing twice books and pays once."""
    window = int(time.time() // 600)  # the same press within ten minutes; a new try later is a new action
    return hashlib.sha256(f"{page.nonce}:{purpose}:{window}".encode()).hexdigest()[:40]


def _not_found(page: Page) -> HTMLResponse:
    return page.message(page.t.error_title, page.t.not_found, 404, alert=True)


# -- the questionnaire and the matches (BK-8) -------------------------------------------------------------------
async def _questionnaire(page: Page, status: int = 200, **context: object) -> Response:
    areas = await page.call("GET", f"{B}/problem-areas")
    reasons = await page.call("GET", f"{B}/contact-reasons")
    return page.render("questionnaire.html", status,
                       areas=[(a["code"], _area_name(a, page.language)) for a in areas.items],
                       reasons=_reasons(reasons.items, page.language), **context)


@router.get("/questionnaire", response_class=HTMLResponse)
async def questionnaire(request: Request) -> Response:
    page = Page(request)
    page.require()
    return await _questionnaire(page)


@router.post("/questionnaire", response_class=HTMLResponse)
async def answer(request: Request) -> Response:
    page = Page(request)
    page.require()
    fields = await page.form()
    if fields is None:
        return page.csrf_refused()
    scores: dict[str, int] = {}
    for name, value in fields.items():
        if name.startswith("score_"):
            if not value.isdigit() or not 0 <= int(value) <= 10:
                return await _questionnaire(page, 422, error=page.t.score_range)
            scores[name.removeprefix("score_")] = int(value)
    reason = fields.get("contact_reason", "")
    if not reason:
        return await _questionnaire(page, 422, error=page.t.reason_required)
    saved = await page.call("PUT", f"{B}/questionnaire", json={"scores": scores, "contact_reason": reason})
    if not saved.ok:
        return await _questionnaire(page, saved.status, error=page.error_text(saved))
    return page.redirect(page.action("/marketplace/matches"))


@router.get("/matches", response_class=HTMLResponse)
async def matches(request: Request) -> Response:
    page = Page(request)
    page.require()
    found = await page.call("GET", f"{B}/matches", params={"limit": 20})
    if not found.ok:
        return page.problem(found, page.t.matches_title)
    areas = await page.call("GET", f"{B}/problem-areas")
    names = {a["code"]: _area_name(a, page.language) for a in areas.items}
    return page.render("matches.html", matches=found.items, names=names)


# -- a therapist and their free slots (BK-4) --------------------------------------------------------------------
@router.get("/therapists/{therapist_id}", response_class=HTMLResponse)
async def therapist(therapist_id: str, request: Request) -> Response:
    page = Page(request)
    page.require()
    if (therapist_id := _uuid(therapist_id)) is None:
        return _not_found(page)
    profile = await page.call("GET", f"{B}/therapists/{therapist_id}/public")
    if not profile.ok:
        return page.problem(profile, page.t.therapist_title)
    slots = await page.call("GET", f"{B}/therapists/{therapist_id}/slots")
    return page.render("therapist.html", therapist=profile.body, slots=slots.items)


@router.post("/slots/{slot_id}/reserve", response_class=HTMLResponse)
async def reserve(slot_id: str, request: Request) -> Response:
    page = Page(request)
    page.require()
    if await page.form() is None:
        return page.csrf_refused()
    if (slot_id := _uuid(slot_id)) is None:
        return _not_found(page)
    reserved = await page.call("POST", f"{B}/slots/{slot_id}/reservations",
                               headers={"Idempotency-Key": _key(page, f"reserve:{slot_id}")})
    if not reserved.ok:
        text = page.t.slot_taken if reserved.status == 409 else page.error_text(reserved)
        return page.message(page.t.reserve_title, text, reserved.status, alert=True,
                            link=(page.action("/marketplace/matches"), page.t.back_to_matches))
    return page.redirect(page.action(f"/marketplace/bookings/{reserved.body['id']}/pay"))


# -- paying on the provider's page (BL-1) -----------------------------------------------------------------------
async def _booking_and_payment(page: Page, booking_id: str, wait: float = 0) -> tuple[dict | None, dict | None]:
    booking = await page.call("GET", f"{B}/bookings/{booking_id}")
    if not booking.ok:
        return None, None
    payment = await page.call("GET", f"{BL}/payments/by-booking/{booking_id}", params={"wait": wait} if wait else None)
    return booking.body, payment.body if payment.ok else None


@router.get("/bookings/{booking_id}/pay", response_class=HTMLResponse)
async def pay_page(booking_id: str, request: Request) -> Response:
    """The payment provider's page. In development the stub's: its test cards; the booking is held meanwhile."""
    page = Page(request)
    page.require()
    if (booking_id := _uuid(booking_id)) is None:
        return _not_found(page)
    booking, payment = await _booking_and_payment(page, booking_id, wait=10)
    if booking is None:
        return _not_found(page)
    if booking["status"] != "pending_payment":
        return page.redirect(page.action(f"/marketplace/bookings/{booking_id}"))
    therapist = await page.call("GET", f"{B}/therapists/{booking['therapist_id']}/public")
    return page.render("pay.html", booking=booking, payment=payment, cards=STUB_CARDS,
                       therapist=therapist.body if therapist.ok else {})


@router.post("/bookings/{booking_id}/pay", response_class=HTMLResponse)
async def pay(booking_id: str, request: Request) -> Response:
    page = Page(request)
    page.require()
    fields = await page.form()
    if fields is None:
        return page.csrf_refused()
    if (booking_id := _uuid(booking_id)) is None:
        return _not_found(page)
    card = fields.get("card", "")
    booking, payment = await _booking_and_payment(page, booking_id)
    if booking is None or payment is None:
        return _not_found(page)
    if card not in STUB_CARDS:
        return page.render("pay.html", 422, booking=booking, payment=payment, cards=STUB_CARDS, therapist={},
                           error=page.t.card_required)
    paid = await page.call("POST", f"{BL}/payments/{payment['id']}/pay", json={"payment_method": card},
                           headers={"Idempotency-Key": _key(page, f"pay:{payment['id']}:{payment['updated_at']}:{card}")})
    if not paid.ok:
        return page.render("pay.html", paid.status, booking=booking, payment=payment, cards=STUB_CARDS, therapist={},
                           error=page.error_text(paid))
    return page.redirect(page.action(f"/marketplace/bookings/{booking_id}"))


# -- a booking, my bookings, cancelling (BK-15, BK-17) ----------------------------------------------------------
async def _booking_page(page: Page, booking_id: str, template: str) -> Response:
    if (booking_id := _uuid(booking_id)) is None:
        return _not_found(page)
    booking, payment = await _booking_and_payment(page, booking_id)
    if booking is None:
        return _not_found(page)
    therapist = await page.call("GET", f"{B}/therapists/{booking['therapist_id']}/public")
    return page.render(template, booking=booking, payment=payment, therapist=therapist.body if therapist.ok else {},
                       full_refund=rules.full_refund_if_cancelled(booking["starts_at"]),
                       free_until=rules.free_cancellation_until(booking["starts_at"]),
                       cancellable=rules.cancellable(booking))


@router.get("/bookings/{booking_id}", response_class=HTMLResponse)
async def booking(booking_id: str, request: Request) -> Response:
    page = Page(request)
    page.require()
    return await _booking_page(page, booking_id, "booking.html")


@router.get("/bookings/{booking_id}/status", response_class=HTMLResponse)
async def booking_status(booking_id: str, request: Request) -> Response:
    """htmx polls this while the payment confirms the booking; it stops polling once the status is final."""
    page = Page(request)
    page.require()
    return await _booking_page(page, booking_id, "booking_status.html")


@router.get("/bookings", response_class=HTMLResponse)
async def bookings(request: Request) -> Response:
    page = Page(request)
    page.require()
    found = await page.call("GET", f"{B}/bookings")
    if not found.ok:
        return page.problem(found, page.t.bookings_title)
    names: dict[str, str] = {}
    for row in found.items:
        if row["therapist_id"] not in names:
            profile = await page.call("GET", f"{B}/therapists/{row['therapist_id']}/public")
            names[row["therapist_id"]] = profile.body.get("name", "") if profile.ok else ""
    rows = [{**row, "therapist": names[row["therapist_id"]], "full_refund": rules.full_refund_if_cancelled(row["starts_at"]),
             "free_until": rules.free_cancellation_until(row["starts_at"]), "cancellable": rules.cancellable(row)} for row in found.items]
    return page.render("bookings.html", bookings=rows)


@router.get("/bookings/{booking_id}/cancel", response_class=HTMLResponse)
async def cancel_form(booking_id: str, request: Request) -> Response:
    """The 24-hour rule, for this booking, before the person cancels."""
    page = Page(request)
    page.require()
    return await _booking_page(page, booking_id, "cancel.html")


@router.post("/bookings/{booking_id}/cancel", response_class=HTMLResponse)
async def cancel(booking_id: str, request: Request) -> Response:
    page = Page(request)
    page.require()
    if await page.form() is None:
        return page.csrf_refused()
    if (booking_id := _uuid(booking_id)) is None:
        return _not_found(page)
    cancelled = await page.call("POST", f"{B}/bookings/{booking_id}/cancel")
    if not cancelled.ok:
        return page.problem(cancelled, page.t.cancel_title)
    text = page.t.cancelled_refund if cancelled.body.get("refund") else page.t.cancelled_fee_kept
    return page.message(page.t.cancel_title, text, link=(page.action("/marketplace/bookings"), page.t.bookings_title))


# -- consents asked of me (JR-2) --------------------------------------------------------------------------------
@router.get("/consents", response_class=HTMLResponse)
async def consents(request: Request) -> Response:
    page = Page(request)
    page.require()
    found = await page.call("GET", f"{B}/clients/me/consents")
    if not found.ok:
        return page.problem(found, page.t.consents_title)
    names: dict[str, str] = {}
    for row in found.items:
        for therapist_id in [row["requester_id"], *row["earlier_therapists"]]:
            if therapist_id not in names:
                profile = await page.call("GET", f"{B}/therapists/{therapist_id}/public")
                names[therapist_id] = profile.body.get("name", "") if profile.ok else "–"
    rows = [{**row, "whose": ", ".join(names[t] for t in row["earlier_therapists"])} for row in found.items]
    return page.render("consents.html", consents=rows, names=names)


@router.post("/consents/{consent_id}/answer", response_class=HTMLResponse)
async def answer_consent(consent_id: str, request: Request) -> Response:
    page = Page(request)
    page.require()
    fields = await page.form()
    if fields is None:
        return page.csrf_refused()
    if (consent_id := _uuid(consent_id)) is None or fields.get("decision") not in ("approve", "deny"):
        return _not_found(page)
    answer = await page.call("POST", f"{B}/clients/me/consents/{consent_id}/answer",
                             json={"approve": fields["decision"] == "approve"})
    if not answer.ok:
        return page.problem(answer, page.t.consents_title, {409: page.t.consent_answered})
    return page.redirect(page.action("/marketplace/consents"))


@router.post("/consents/{consent_id}/withdraw", response_class=HTMLResponse)
async def withdraw(consent_id: str, request: Request) -> Response:
    page = Page(request)
    page.require()
    if await page.form() is None:
        return page.csrf_refused()
    if (consent_id := _uuid(consent_id)) is None:
        return _not_found(page)
    answer = await page.call("POST", f"{B}/consents/{consent_id}/withdraw")
    if not answer.ok:
        return page.problem(answer, page.t.consents_title)
    return page.redirect(page.action("/marketplace/consents"))
