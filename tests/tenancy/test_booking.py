"""Booking's part of the tenancy matrix (issue 18), through the real gateway with people signed in as people
do: therapist 2 cannot book for therapist 1's client, nor read or write their clients, notes, invitations,
slots and bookings; a practitioner of clinic 2 cannot see or change clinic 1's appointment book; each gets
the answer a missing id gets. The owners are served. ``ROUTES`` lists every route of booking's OpenAPI
document as "matrix" (tested here), "public" or "own-account" (acts only on the caller's own account)."""

from __future__ import annotations

import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _marketplace import platform  # noqa: E402

from booking.app import build as build_booking  # noqa: E402
from booking.settings import Settings as BookingSettings  # noqa: E402
from contracts.gateway.v1 import AccountCreated  # noqa: E402
from kit.testing import fetch, publish, wait_for  # noqa: E402

ROUTES = {
    "GET /health/live": "public",
    "GET /health/ready": "public",
    "GET /whoami": "own-account",
    "GET /therapists/application": "own-account",
    "POST /therapists/application": "own-account",
    "GET /admin/applications": "matrix",
    "POST /admin/applications/{therapist_id}/review": "matrix",
    "GET /therapists/me/profile": "own-account",
    "PUT /therapists/me/profile": "own-account",
    "PUT /therapists/me/reception": "own-account",
    "PUT /therapists/me/photo": "own-account",
    "GET /therapists/{therapist_id}/photo": "public",
    "GET /therapists/{therapist_id}/public": "public",
    "GET /problem-areas": "public",
    "PUT /therapists/me/problem-areas": "own-account",
    "GET /contact-reasons": "public",
    "PUT /therapists/me/contact-reasons": "own-account",
    "PUT /questionnaire": "own-account",
    "GET /matches": "own-account",
    "GET /clients": "matrix",
    "GET /clients/{client_id}": "matrix",
    "PUT /clients/{client_id}/information": "matrix",
    "GET /invitations": "matrix",
    "POST /invitations": "own-account",
    "POST /invitations/{invitation_id}/resend": "matrix",
    "POST /invitations/{token}/accept": "public",
    "POST /clients/{client_id}/notes": "matrix",
    "GET /clients/{client_id}/notes": "matrix",
    "PUT /notes/{note_id}": "matrix",
    "GET /clients/{client_id}/earlier-therapists": "matrix",
    "POST /clients/{client_id}/consents": "matrix",
    "POST /consents/{token}/answer": "public",
    "GET /clients/me/consents": "own-account",
    "POST /clients/me/consents/{consent_id}/answer": "matrix",
    "POST /consents/{consent_id}/withdraw": "matrix",
    "POST /admin/journal/rewrap": "matrix",
    "POST /slots": "own-account",
    "PATCH /slots/{slot_id}": "matrix",
    "DELETE /slots/{slot_id}": "matrix",
    "GET /therapists/{therapist_id}/slots": "public",
    "GET /calendar/week/{iso_week}": "matrix",
    "POST /calendar/feed": "own-account",
    "DELETE /calendar/feed": "own-account",
    "GET /calendar/feed/{token}.ics": "public",
    "POST /slots/{slot_id}/reservations": "own-account",
    "POST /slots/{slot_id}/bookings": "matrix",
    "POST /bookings/{booking_id}/cancel": "matrix",
    "GET /bookings/{booking_id}": "matrix",
    "GET /bookings": "matrix",
    "GET /clinics/mine": "own-account",
    "POST /appointment-types": "matrix",
    "GET /appointment-types": "matrix",
    "PUT /appointment-types/{type_id}": "matrix",
    "POST /week-templates": "matrix",
    "POST /week-templates/{template_id}/generate": "matrix",
    "GET /patients/search": "own-account",
    "POST /appointments": "matrix",
    "GET /appointments": "matrix",
    "GET /appointments/{appointment_id}": "matrix",
    "PATCH /appointments/{appointment_id}": "matrix",
    "DELETE /appointments/{appointment_id}": "matrix",
    "POST /appointments/{appointment_id}/copy": "matrix",
    "POST /appointments/{appointment_id}/cancel": "matrix",
    "POST /appointments/{appointment_id}/patients": "matrix",
    "POST /appointments/{appointment_id}/patients/{patient_id}/cancel": "matrix",
    "POST /appointments/{appointment_id}/patients/{patient_id}/check-in": "matrix",
    "POST /appointments/{appointment_id}/patients/{patient_id}/check-out": "matrix",
    "POST /appointments/{appointment_id}/close": "matrix",
    "GET /appointments/{appointment_id}/helfo-claim": "matrix",
    "GET /admin/journal/audit": "matrix",
    "GET /admin/journal/audit/verify": "matrix",
}

B = "/api/booking"


def test_every_route_of_booking_is_listed():
    app = build_booking(BookingSettings(environment="test")).create_app()
    routes = {f"{method.upper()} {path}" for path, ops in app.openapi()["paths"].items() for method in ops}
    assert routes - set(ROUTES) == set(), "a route of booking is neither in the matrix nor marked public/own-account"
    assert set(ROUTES) - routes == set(), "ROUTES lists a route booking no longer has"
    assert set(ROUTES.values()) <= {"matrix", "public", "own-account"}


@pytest.fixture(scope="module")
async def world(test_env):
    async with platform(test_env, "tenancy_booking") as p:
        t1, t2 = await p.therapist("Test Terapeut Ett"), await p.therapist("Test Terapeut Två")
        client, stranger = await p.bankid_client(), await p.bankid_client()
        booked = await p.paid_booking(client, await p.slot(t1, days=3))  # the client is now on t1's list
        note = await p.http.post(f"{B}/clients/{client.id}/notes", headers=t1.headers, json={"text": "Första samtalet."})
        assert note.status_code == 201, note.text
        invitation = await p.http.post(f"{B}/invitations", headers=t1.headers, json={"email": "inbjuden@example.org"})
        assert invitation.status_code == 201, invitation.text
        consent = await p.http.post(f"{B}/clients/{client.id}/consents", headers=t1.headers,
                                    json={"earlier_therapists": [str(t2.id)]})
        assert consent.status_code == 201, consent.text
        clinic1, clinic2 = await p.clinic("Klinikk En"), await p.clinic("Klinikk To")
        p1, p2 = await p.practitioner(clinic1, "Test Behandler En"), await p.practitioner(clinic2, "Test Behandler To")
        kind = await p.http.post(f"{B}/appointment-types", headers=p1.headers, json={
            "name": "Mestringsgruppe", "length_minutes": 90, "kind": "group", "seats": 8})
        assert kind.status_code == 201 and kind.json()["organisation_id"] == str(clinic1), kind.text
        template = await p.http.post(f"{B}/week-templates", headers=p1.headers, json={
            "name": "Ukemal", "entries": [{"weekday": 0, "starts": "09:00", "type_id": kind.json()["id"]}]})
        assert template.status_code == 201, template.text
        yield {"p": p, "t1": t1, "t2": t2, "client": client, "stranger": stranger, "booking": booked,
               "note": note.json(), "invitation": invitation.json(), "consent": consent.json(), "clinic1": clinic1,
               "clinic2": clinic2, "p1": p1, "p2": p2, "type": kind.json(), "template": template.json()}


def refused_alike(theirs, missing, status: int = 404) -> None:
    """Another's record and a missing one get the same answer (status and problem type)."""
    assert theirs.status_code == missing.status_code == status, (theirs.text, missing.text)
    assert theirs.json()["type"] == missing.json()["type"]


async def both(p, method: str, path: str, other_id: str, headers: dict, **kwargs):
    """The same request on another's record and on an id that does not exist."""
    theirs = await p.http.request(method, f"{B}{path.format(id=other_id)}", headers=headers, **kwargs)
    missing = await p.http.request(method, f"{B}{path.format(id=uuid.uuid4())}", headers=headers, **kwargs)
    return theirs, missing


# -- the marketplace: therapist 2 on therapist 1's records ----------------------------------------------------------
async def test_therapist_2_cannot_book_for_therapist_1s_client(world):
    p, t1, t2, client = world["p"], world["t1"], world["t2"], world["client"]
    own_slot = await p.slot(t2, days=4)
    refused = await p.http.post(f"{B}/slots/{own_slot['id']}/bookings", headers=t2.headers,
                                json={"client_id": str(client.id), "payment": "paid_outside"})
    assert refused.status_code == 403 and "not one of your clients" in refused.json()["detail"]
    assert (await p.http.get(f"{B}/therapists/{t2.id}/slots", headers=client.headers)).json()[0]["id"] == own_slot["id"]  # still free
    # therapist 1 books for their own client; on therapist 1's slot therapist 2 finds nothing
    t1_slot = await p.slot(t1, days=5)
    t2_client = await p.http.post(f"{B}/slots/{t1_slot['id']}/bookings", headers=t2.headers,
                                  json={"client_id": str(client.id), "payment": "paid_outside"})
    assert t2_client.status_code == 403
    served = await p.http.post(f"{B}/slots/{t1_slot['id']}/bookings", headers=t1.headers,
                               json={"client_id": str(client.id), "payment": "paid_outside"})
    assert served.status_code == 201 and served.json()["status"] == "confirmed", served.text
    # and cancels it; therapist 2 cannot
    theirs, missing = await both(p, "POST", "/bookings/{id}/cancel", served.json()["id"], t2.headers)
    refused_alike(theirs, missing)
    assert (await p.http.post(f"{B}/bookings/{served.json()['id']}/cancel", headers=t1.headers)).status_code == 200


async def test_therapist_2_cannot_read_therapist_1s_clients_or_their_bookings(world):
    p, t1, t2, client, booking = world["p"], world["t1"], world["t2"], world["client"], world["booking"]
    assert str(client.id) in {c["client_id"] for c in (await p.http.get(f"{B}/clients", headers=t1.headers)).json()}
    assert str(client.id) not in {c["client_id"] for c in (await p.http.get(f"{B}/clients", headers=t2.headers)).json()}
    refused_alike(*await both(p, "GET", "/clients/{id}", str(client.id), t2.headers))
    assert (await p.http.get(f"{B}/clients/{client.id}", headers=t1.headers)).status_code == 200
    refused_alike(*await both(p, "PUT", "/clients/{id}/information", str(client.id), t2.headers, json={"information": "x"}))
    assert (await p.http.put(f"{B}/clients/{client.id}/information", headers=t1.headers,
                             json={"information": "Föredrar video."})).status_code == 204

    refused_alike(*await both(p, "GET", "/bookings/{id}", booking["id"], t2.headers))
    assert (await p.http.get(f"{B}/bookings/{booking['id']}", headers=t1.headers)).status_code == 200
    assert (await p.http.get(f"{B}/bookings/{booking['id']}", headers=client.headers)).status_code == 200
    assert (await p.http.get(f"{B}/bookings/{booking['id']}", headers=world["stranger"].headers)).status_code == 404
    theirs = (await p.http.get(f"{B}/bookings", headers=t2.headers, params={"client_id": str(client.id)})).json()
    mine = (await p.http.get(f"{B}/bookings", headers=t1.headers, params={"client_id": str(client.id)})).json()
    assert theirs == [] and booking["id"] in {b["id"] for b in mine}
    assert booking["id"] not in {b["id"] for b in (await p.http.get(f"{B}/bookings", headers=t2.headers)).json()}


async def test_therapist_2_cannot_read_or_write_therapist_1s_journal(world):
    p, t1, t2, client, note = world["p"], world["t1"], world["t2"], world["client"], world["note"]
    refused_alike(*await both(p, "GET", "/clients/{id}/notes", str(client.id), t2.headers))
    assert [n["id"] for n in (await p.http.get(f"{B}/clients/{client.id}/notes", headers=t1.headers)).json()] == [note["id"]]
    refused_alike(*await both(p, "POST", "/clients/{id}/notes", str(client.id), t2.headers, json={"text": "x"}))
    refused_alike(*await both(p, "PUT", "/notes/{id}", note["id"], t2.headers, json={"text": "ändrat"}))
    assert (await p.http.put(f"{B}/notes/{note['id']}", headers=t1.headers, json={"text": "Första samtalet, rättat."})).status_code == 200
    refused_alike(*await both(p, "GET", "/clients/{id}/earlier-therapists", str(client.id), t2.headers))
    assert (await p.http.get(f"{B}/clients/{client.id}/earlier-therapists", headers=t1.headers)).status_code == 200
    refused_alike(*await both(p, "POST", "/clients/{id}/consents", str(client.id), t2.headers,
                              json={"earlier_therapists": [str(t1.id)]}))
    # the refusals are in the audit, with who tried on whose record
    admin = await p.sign_in_admin()
    rows = (await p.http.get(f"{B}/admin/journal/audit", headers=admin.headers, params={"subject_id": str(client.id)})).json()
    denied = {(r["actor_id"], r["action"]) for r in rows if not r["allowed"]}
    assert {(str(t2.id), "read notes"), (str(t2.id), "write note"), (str(t2.id), "list earlier therapists"),
            (str(t2.id), "request consent")} <= denied
    assert (str(t1.id), "read note") in {(r["actor_id"], r["action"]) for r in rows if r["allowed"]}
    assert (await p.http.get(f"{B}/admin/journal/audit/verify", headers=admin.headers)).json()["valid"] is True


async def test_consents_invitations_and_slots_are_their_owners(world):
    p, t1, t2, client, stranger = world["p"], world["t1"], world["t2"], world["client"], world["stranger"]
    consent = world["consent"]
    theirs, missing = await both(p, "POST", "/consents/{id}/withdraw", consent["id"], stranger.headers)
    refused_alike(theirs, missing)
    # answering a request asked of another client: the answer of a request that does not exist
    refused_alike(*await both(p, "POST", "/clients/me/consents/{id}/answer", consent["id"], stranger.headers,
                              json={"approve": True}))
    own = await p.http.post(f"{B}/consents/{consent['id']}/withdraw", headers=client.headers)
    assert own.status_code == 409 and own.json()["type"] == "/problems/consent-not-approved"  # served: it is pending

    invitation = world["invitation"]
    assert invitation["id"] not in {i["id"] for i in (await p.http.get(f"{B}/invitations", headers=t2.headers)).json()}
    assert invitation["id"] in {i["id"] for i in (await p.http.get(f"{B}/invitations", headers=t1.headers)).json()}
    refused_alike(*await both(p, "POST", "/invitations/{id}/resend", invitation["id"], t2.headers))
    assert (await p.http.post(f"{B}/invitations/{invitation['id']}/resend", headers=t1.headers)).status_code == 200

    slot = await p.slot(t1, days=6)
    refused_alike(*await both(p, "PATCH", "/slots/{id}", slot["id"], t2.headers, json={"price_minor": 1}))
    assert (await p.http.patch(f"{B}/slots/{slot['id']}", headers=t1.headers, json={"price_minor": 90000})).status_code == 200
    week = datetime.fromisoformat(slot["starts_at"]).astimezone(UTC).strftime("%G-W%V")
    in_week = lambda r: {e["slot"]["id"] for e in r.json()["entries"]}  # noqa: E731
    assert slot["id"] not in in_week(await p.http.get(f"{B}/calendar/week/{week}", headers=t2.headers))
    assert slot["id"] in in_week(await p.http.get(f"{B}/calendar/week/{week}", headers=t1.headers))
    refused_alike(*await both(p, "DELETE", "/slots/{id}", slot["id"], t2.headers))
    assert (await p.http.delete(f"{B}/slots/{slot['id']}", headers=t1.headers)).status_code == 204


async def test_admin_routes_refuse_therapists_and_serve_the_admin(world):
    p, t2 = world["p"], world["t2"]
    admin = await p.sign_in_admin()
    for method, path in (("GET", "/admin/applications"), ("POST", f"/admin/applications/{t2.id}/review"),
                         ("POST", "/admin/journal/rewrap"), ("GET", "/admin/journal/audit"),
                         ("GET", "/admin/journal/audit/verify")):
        body = {"json": {"decision": "authorise"}} if "review" in path else {}
        assert (await p.http.request(method, f"{B}{path}", headers=t2.headers, **body)).status_code == 403, path
    assert (await p.http.get(f"{B}/admin/applications", headers=admin.headers)).status_code == 200
    assert (await p.http.post(f"{B}/admin/journal/rewrap", headers=admin.headers)).status_code == 200
    again = await p.http.post(f"{B}/admin/applications/{t2.id}/review", headers=admin.headers, json={"decision": "authorise"})
    assert again.status_code == 409  # served: reviewed already


# -- the clinics: a practitioner of clinic 2 on clinic 1's appointment book ------------------------------------
async def appointment(p, who, type_id: str, days: float = 7) -> dict:
    starts = (datetime.now(UTC) + timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    made = await p.http.post(f"{B}/appointments", headers=who.headers, json={"type_id": type_id, "starts_at": starts.isoformat()})
    assert made.status_code == 201, made.text
    return made.json()


async def test_practitioner_of_clinic_2_cannot_see_or_change_clinic_1s_appointments(world):
    p, p1, p2, kind = world["p"], world["p1"], world["p2"], world["type"]
    booked = await appointment(p, p1, kind["id"])
    assert booked["organisation_id"] == str(world["clinic1"])
    aid = booked["id"]
    window = {"from": datetime.now(UTC).isoformat(), "to": (datetime.now(UTC) + timedelta(days=30)).isoformat()}
    assert aid in {a["id"] for a in (await p.http.get(f"{B}/appointments", headers=p1.headers, params=window)).json()}
    assert aid not in {a["id"] for a in (await p.http.get(f"{B}/appointments", headers=p2.headers, params=window)).json()}
    assert kind["id"] not in {t["id"] for t in (await p.http.get(f"{B}/appointment-types", headers=p2.headers)).json()}
    assert kind["id"] in {t["id"] for t in (await p.http.get(f"{B}/appointment-types", headers=p1.headers)).json()}

    patient = str(uuid.uuid4())
    cases = [("GET", "/appointments/{id}", {}), ("PATCH", "/appointments/{id}", {"json": {"note": "x"}}),
             ("POST", "/appointments/{id}/copy", {"json": {"starts_at": (datetime.now(UTC) + timedelta(days=9)).isoformat()}}),
             ("POST", "/appointments/{id}/patients", {"json": {"patient_ids": [patient]}}),
             ("POST", f"/appointments/{{id}}/patients/{patient}/cancel", {}),
             ("POST", f"/appointments/{{id}}/patients/{patient}/check-in", {}),
             ("POST", f"/appointments/{{id}}/patients/{patient}/check-out", {}),
             ("POST", "/appointments/{id}/close", {"json": {"note": "x"}}),
             ("GET", "/appointments/{id}/helfo-claim", {}),
             ("POST", "/appointments/{id}/cancel", {}), ("DELETE", "/appointments/{id}", {})]
    for method, path, body in cases:
        theirs, missing = await both(p, method, path, aid, p2.headers, **body)
        refused_alike(theirs, missing)
    # the clinic's own practitioner is served (each answer is about the appointment, not its existence)
    assert (await p.http.get(f"{B}/appointments/{aid}", headers=p1.headers)).status_code == 200
    assert (await p.http.patch(f"{B}/appointments/{aid}", headers=p1.headers, json={"note": "Tema: søvn"})).status_code == 200
    copy = await p.http.post(f"{B}/appointments/{aid}/copy", headers=p1.headers,
                             json={"starts_at": (datetime.now(UTC) + timedelta(days=9)).isoformat()})
    assert copy.status_code == 201
    strangers = await p.http.post(f"{B}/appointments/{aid}/patients", headers=p1.headers, json={"patient_ids": [patient]})
    assert strangers.status_code == 422 and "not your patients" in strangers.json()["detail"]
    for action in ("cancel", "check-in", "check-out"):
        off = await p.http.post(f"{B}/appointments/{aid}/patients/{patient}/{action}", headers=p1.headers)
        assert off.status_code == 404 and off.json()["type"] == "/problems/not-on-appointment"
    assert (await p.http.post(f"{B}/appointments/{aid}/close", headers=p1.headers, json={"note": "x"})).status_code == 409
    assert (await p.http.get(f"{B}/appointments/{aid}/helfo-claim", headers=p1.headers)).status_code == 409
    assert (await p.http.post(f"{B}/appointments/{aid}/cancel", headers=p1.headers)).json()["status"] == "cancelled"
    assert (await p.http.delete(f"{B}/appointments/{copy.json()['id']}", headers=p1.headers)).status_code == 204


async def test_practitioner_of_clinic_2_cannot_use_clinic_1s_types_and_templates(world):
    p, p1, p2, kind, template = world["p"], world["p1"], world["p2"], world["type"], world["template"]
    body = {"name": "Mestringsgruppe", "length_minutes": 60, "kind": "group", "seats": 6}
    refused_alike(*await both(p, "PUT", "/appointment-types/{id}", kind["id"], p2.headers, json=body))
    assert (await p.http.put(f"{B}/appointment-types/{kind['id']}", headers=p1.headers, json=body)).status_code == 200
    starts = (datetime.now(UTC) + timedelta(days=8)).isoformat()
    refused_alike(await p.http.post(f"{B}/appointments", headers=p2.headers, json={"type_id": kind["id"], "starts_at": starts}),
                  await p.http.post(f"{B}/appointments", headers=p2.headers, json={"type_id": str(uuid.uuid4()), "starts_at": starts}))
    entries = lambda type_id: {"name": "Ukemal", "entries": [{"weekday": 1, "starts": "10:00", "type_id": type_id}]}  # noqa: E731
    refused_alike(await p.http.post(f"{B}/week-templates", headers=p2.headers, json=entries(kind["id"])),
                  await p.http.post(f"{B}/week-templates", headers=p2.headers, json=entries(str(uuid.uuid4()))))
    period = {"first": (datetime.now(UTC) + timedelta(days=14)).date().isoformat(),
              "last": (datetime.now(UTC) + timedelta(days=20)).date().isoformat()}
    refused_alike(*await both(p, "POST", "/week-templates/{id}/generate", template["id"], p2.headers, json=period))
    generated = await p.http.post(f"{B}/week-templates/{template['id']}/generate", headers=p1.headers, json=period)
    assert generated.status_code == 200 and generated.json()["created"] == 1
    # a type for another clinic: refused, saying which
    other = await p.http.post(f"{B}/appointment-types", headers=p2.headers, params={"clinic_id": str(world["clinic1"])}, json=body)
    assert other.status_code == 403 and str(world["clinic1"]) in other.json()["detail"]
    own = await p.http.post(f"{B}/appointment-types", headers=p2.headers, json=body)
    assert own.status_code == 201 and own.json()["organisation_id"] == str(world["clinic2"])


async def test_a_client_account_made_by_an_unapproved_therapist_never_joins_their_list(world):
    """Issue 18: the gateway refuses an unapproved therapist's account creation; should such an account be
    announced anyway, booking puts it on no list (only an authorised therapist's created clients count)."""
    p = world["p"]
    pending = await p.therapist("Test Väntande", authorise=False)
    made = await publish(p.env, AccountCreated(account_id=uuid.uuid4(), roles=["client"], display_name="Test Klient",
                                               created_by=pending.id))

    async def handled():
        return await fetch(p.booking.settings, "SELECT 1 FROM inbox WHERE event_id = $1", made.event_id)

    await wait_for(handled, what="booking to handle the account")
    await p.authorise(pending)
    assert (await p.http.get(f"{B}/clients", headers=pending.headers)).json() == []
