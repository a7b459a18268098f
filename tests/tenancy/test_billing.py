"""Billing's part of the tenancy matrix (issue 18), through the real gateway with people signed in as people
do: payments are their client's and therapist's, reports and payouts their therapist's (and the admin's),
billing cards and collective invoices their practitioner's. Another's record gets the answer a missing id
gets; a filter naming another therapist is a 403. The invoice specifications are logistics' tenancy
(controllers of a payer) and listed as "matrix:logistics": the logistics helper's matrix covers them."""

from __future__ import annotations

import io
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _marketplace import platform  # noqa: E402

from billing.app import build as build_billing  # noqa: E402
from billing.settings import Settings as BillingSettings  # noqa: E402
from kit.testing import wait_for  # noqa: E402

ROUTES = {
    "GET /health/live": "public",
    "GET /health/ready": "public",
    "GET /whoami": "own-account",
    "GET /payments/by-booking/{booking_id}": "matrix",
    "GET /payments/{payment_id}": "matrix",
    "GET /payments/{payment_id}/movements": "matrix",
    "POST /payments/{payment_id}/pay": "matrix",
    "GET /payouts/runs": "matrix",
    "POST /payouts/runs": "matrix",
    "GET /payouts": "matrix",
    "GET /payouts/{payout_id}/statement": "matrix",
    "PUT /therapists/{therapist_id}/agreement": "matrix",
    "GET /ledger/balances": "matrix",
    "GET /reports/sessions.xlsx": "matrix",
    "GET /billing-cards": "matrix",
    "POST /billing-cards/{card_id}/payment": "matrix",
    "POST /collective-invoices": "matrix",
    "GET /collective-invoices/{invoice_id}": "matrix",
    "POST /collective-invoices/{invoice_id}/payment": "matrix",
    "POST /invoice-specifications/rent-runs": "matrix:logistics",
    "GET /invoice-specifications": "matrix:logistics",
    "GET /invoice-specifications/{specification_id}.xlsx": "matrix:logistics",
    "GET /invoice-specifications/{specification_id}": "matrix:logistics",
}

B, BK = "/api/billing", "/api/booking"


def test_every_route_of_billing_is_listed():
    app = build_billing(BillingSettings(environment="test")).create_app()
    routes = {f"{method.upper()} {path}" for path, ops in app.openapi()["paths"].items() for method in ops}
    assert routes - set(ROUTES) == set(), "a route of billing is neither in the matrix nor marked public/own-account"
    assert set(ROUTES) - routes == set(), "ROUTES lists a route billing no longer has"
    assert set(ROUTES.values()) <= {"matrix", "matrix:logistics", "public", "own-account"}


@pytest.fixture(scope="module")
async def world(test_env):
    async with platform(test_env, "tenancy_billing") as p:
        t1, t2 = await p.therapist("Test Terapeut Ett"), await p.therapist("Test Terapeut Två")
        client, stranger = await p.bankid_client(), await p.bankid_client()
        booked = await p.paid_booking(client, await p.slot(t1, days=3))
        yield {"p": p, "t1": t1, "t2": t2, "client": client, "stranger": stranger, "booking": booked}


def refused_alike(theirs, missing, status: int = 404) -> None:
    assert theirs.status_code == missing.status_code == status, (theirs.text, missing.text)
    assert theirs.json()["type"] == missing.json()["type"]


async def test_a_payment_is_its_clients_and_therapists_only(world):
    p, t1, t2, client, stranger, booking = (world[k] for k in ("p", "t1", "t2", "client", "stranger", "booking"))
    pid = booking["payment_id"]
    for who in (t2, stranger):
        refused_alike(await p.http.get(f"{B}/payments/by-booking/{booking['id']}", headers=who.headers),
                      await p.http.get(f"{B}/payments/by-booking/{uuid.uuid4()}", headers=who.headers))
        refused_alike(await p.http.get(f"{B}/payments/{pid}", headers=who.headers),
                      await p.http.get(f"{B}/payments/{uuid.uuid4()}", headers=who.headers))
        refused_alike(await p.http.get(f"{B}/payments/{pid}/movements", headers=who.headers),
                      await p.http.get(f"{B}/payments/{uuid.uuid4()}/movements", headers=who.headers))
        refused_alike(await p.http.post(f"{B}/payments/{pid}/pay", headers=who.headers, json={"payment_method": "stub_card_ok"}),
                      await p.http.post(f"{B}/payments/{uuid.uuid4()}/pay", headers=who.headers,
                                        json={"payment_method": "stub_card_ok"}))
    for who in (client, t1):
        assert (await p.http.get(f"{B}/payments/{pid}", headers=who.headers)).json()["status"] == "captured"
        assert (await p.http.get(f"{B}/payments/by-booking/{booking['id']}", headers=who.headers)).status_code == 200
        assert (await p.http.get(f"{B}/payments/{pid}/movements", headers=who.headers)).status_code == 200
    paid = await p.http.post(f"{B}/payments/{pid}/pay", headers=client.headers, json={"payment_method": "stub_card_ok"})
    assert paid.status_code == 409 and paid.json()["type"] == "/problems/payment-not-payable"  # served: paid already


async def test_therapist_2_cannot_read_therapist_1s_report_payouts_or_statement(world):
    p, t1, t2, booking = world["p"], world["t1"], world["t2"], world["booking"]
    start = date.today().replace(day=1)
    period = {"from": start.isoformat(), "to": (start + timedelta(days=62)).isoformat()}
    refused = await p.http.get(f"{B}/reports/sessions.xlsx", headers=t2.headers, params=period | {"therapist_id": str(t1.id)})
    assert refused.status_code == 403 and "own sessions" in refused.json()["detail"]

    def sessions(response) -> int:
        """Rows of the report on the day of t1's session (the report shows the client's name, the date, the fee)."""
        assert response.status_code == 200, response.text
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        return sum(any(str(cell).startswith(day) for cell in row if cell) for row in sheet.iter_rows(values_only=True))

    day = datetime.fromisoformat(booking["starts_at"]).astimezone(ZoneInfo("Europe/Stockholm")).date().isoformat()
    assert sessions(await p.http.get(f"{B}/reports/sessions.xlsx", headers=t1.headers, params=period)) == 1
    assert sessions(await p.http.get(f"{B}/reports/sessions.xlsx", headers=t2.headers, params=period)) == 0
    admin = await p.sign_in_admin()
    assert sessions(await p.http.get(f"{B}/reports/sessions.xlsx", headers=admin.headers,
                                     params=period | {"therapist_id": str(t1.id)})) == 1

    assert (await p.http.get(f"{B}/payouts", headers=t2.headers, params={"therapist_id": str(t1.id)})).status_code == 403
    assert (await p.http.get(f"{B}/payouts", headers=t1.headers)).status_code == 200
    assert (await p.http.get(f"{B}/payouts", headers=admin.headers, params={"therapist_id": str(t1.id)})).status_code == 200
    # no month with t1's sessions is closed yet, so no real payout exists here: services/billing/tests/
    # test_billing_payouts.py shows another's statement answering as a missing one; the missing one here:
    missing = await p.http.get(f"{B}/payouts/{uuid.uuid4()}/statement", headers=t2.headers)
    assert missing.status_code == 404 and missing.json()["type"] == "/problems/not-found"


async def test_admin_routes_refuse_therapists_and_serve_the_admin(world):
    p, t1, t2 = world["p"], world["t1"], world["t2"]
    admin = await p.sign_in_admin()
    month = datetime.now(UTC).strftime("%Y-%m")
    for method, path, body in (("GET", "/payouts/runs", None), ("POST", "/payouts/runs", {"month": month}),
                               ("PUT", f"/therapists/{t1.id}/agreement", {"commission_bp": 1}),
                               ("GET", "/ledger/balances", None)):
        assert (await p.http.request(method, f"{B}{path}", headers=t2.headers, json=body)).status_code == 403, path
    assert (await p.http.get(f"{B}/payouts/runs", headers=admin.headers)).status_code == 200
    open_month = await p.http.post(f"{B}/payouts/runs", headers=admin.headers, json={"month": month})
    assert open_month.status_code == 409 and open_month.json()["type"] == "/problems/month-open"  # served, and refused for the month
    assert (await p.http.put(f"{B}/therapists/{t1.id}/agreement", headers=admin.headers,
                             json={"commission_bp": 1500})).json() == {"commission_bp": 1500}
    assert sum((await p.http.get(f"{B}/ledger/balances", headers=admin.headers)).json().values()) == 0


async def test_billing_cards_and_collective_invoices_are_their_practitioners(world):
    """A closed group session opens a card for its practitioner; another practitioner neither lists nor takes
    payment for it, nor invoices or reads the invoice."""
    p = world["p"]
    clinic, other = await p.clinic("Klinikk En"), await p.clinic("Klinikk To")
    p1, p2 = await p.practitioner(clinic, "Test Behandler En"), await p.practitioner(other, "Test Behandler To")
    patient = await p.bankid_client()
    await p.paid_booking(patient, await p.slot(p1, days=4))  # the patient is on p1's list
    kind = await p.http.post(f"{BK}/appointment-types", headers=p1.headers, json={
        "name": "Samtalegruppe", "length_minutes": 60, "kind": "group", "seats": 4, "extra_fee_minor": 30000})
    assert kind.status_code == 201, kind.text
    started = (datetime.now(UTC) - timedelta(minutes=30)).replace(microsecond=0).isoformat()
    made = await p.http.post(f"{BK}/appointments", headers=p1.headers, json={
        "type_id": kind.json()["id"], "starts_at": started, "patient_ids": [str(patient.id)]})
    assert made.status_code == 201, made.text
    closed = await p.http.post(f"{BK}/appointments/{made.json()['id']}/close", headers=p1.headers, json={"note": "Gruppen møttes."})
    assert closed.status_code == 200, closed.text

    async def card():
        found = (await p.http.get(f"{B}/billing-cards", headers=p1.headers)).json()
        return found[0] if found else None

    opened = await wait_for(card, what="the billing card of the closed session")
    assert (opened["patient_id"], opened["amount_minor"], opened["status"]) == (str(patient.id), 30000, "pay_later")
    assert (await p.http.get(f"{B}/billing-cards", headers=p2.headers)).json() == []
    refused_alike(await p.http.post(f"{B}/billing-cards/{opened['id']}/payment", headers=p2.headers, json={"method": "cash"}),
                  await p.http.post(f"{B}/billing-cards/{uuid.uuid4()}/payment", headers=p2.headers, json={"method": "cash"}))
    refused_alike(await p.http.post(f"{B}/collective-invoices", headers=p2.headers, json={"card_ids": [opened["id"]]}),
                  await p.http.post(f"{B}/collective-invoices", headers=p2.headers, json={"card_ids": [str(uuid.uuid4())]}))
    invoice = await p.http.post(f"{B}/collective-invoices", headers=p1.headers, json={"card_ids": [opened["id"]]})
    assert invoice.status_code == 201, invoice.text
    iid = invoice.json()["id"]
    refused_alike(await p.http.get(f"{B}/collective-invoices/{iid}", headers=p2.headers),
                  await p.http.get(f"{B}/collective-invoices/{uuid.uuid4()}", headers=p2.headers))
    refused_alike(await p.http.post(f"{B}/collective-invoices/{iid}/payment", headers=p2.headers, json={"method": "vipps"}),
                  await p.http.post(f"{B}/collective-invoices/{uuid.uuid4()}/payment", headers=p2.headers, json={"method": "vipps"}))
    assert (await p.http.get(f"{B}/collective-invoices/{iid}", headers=p1.headers)).json()["status"] == "open"
    assert (await p.http.post(f"{B}/collective-invoices/{iid}/payment", headers=p1.headers,
                              json={"method": "vipps"})).json()["status"] == "paid"
