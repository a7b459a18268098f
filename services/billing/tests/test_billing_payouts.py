"""A month of bookings and cancellations → a balanced ledger, the right payout per therapist, once;
the financial report read back cell by cell."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from billing.payouts import rules
from billing.payouts.scheduler import run_if_due
from contracts.booking.v1 import BookingCancelled, TherapistPayoutDetailsChanged
from contracts.gateway.v1 import ContactDetailsChanged
from kit.testing import fetch, publish, wait_for


def october(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 10, day, hour - 2, tzinfo=UTC)  # 10:00 local (summer time until the 25th)


async def cancel(test_env, saga, booking, *, by: str, refund: bool):
    await publish(test_env, BookingCancelled(
        booking_id=booking.booking_id, therapist_id=booking.therapist_id, client_id=booking.client_id,
        starts_at=booking.starts_at, cancelled_by=by, refund=refund, therapist_paid=not refund))
    if refund:
        await saga.status_becomes(booking, "refunded")
    else:
        await wait_for(lambda: _cancel_recorded(saga, booking), what="the late cancellation to be recorded")


async def _cancel_recorded(saga, booking) -> bool:
    rows = await fetch(saga.billing.settings, "SELECT cancelled_by FROM payments WHERE booking_id = $1", booking.booking_id)
    return bool(rows and rows[0]["cancelled_by"])


FORMULA = '=HYPERLINK("http://evil.example","Klient")'


async def test_month_payout_ledger_and_report(test_env, billing, saga, issuer):
    alice, bertil, cecilia = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()  # therapists
    admin = issuer.headers(uuid.uuid4(), "admin")
    await publish(test_env, TherapistPayoutDetailsChanged(therapist_id=alice, bank_account="8327-9 123 456 789-0"))
    await publish(test_env, TherapistPayoutDetailsChanged(therapist_id=bertil, bank_account="SE45 5000 0000 0583 9825 7466"))
    # cecilia has no bank account yet: her share waits for a later run
    agreement = await billing.client.put(f"/therapists/{bertil}/agreement", json={"commission_bp": 1000}, headers=admin)
    assert agreement.status_code == 200

    held = await saga.paid_booking(therapist_id=alice, starts_at=october(5))
    await publish(test_env, ContactDetailsChanged(account_id=held.client_id, display_name="Test Klient Ett"))
    late = await saga.paid_booking(therapist_id=alice, starts_at=october(12))
    await publish(test_env, ContactDetailsChanged(account_id=late.client_id, display_name=FORMULA))
    early = await saga.paid_booking(therapist_id=alice, starts_at=october(19))
    by_therapist = await saga.paid_booking(therapist_id=alice, starts_at=october(26))
    await saga.paid_booking(therapist_id=bertil, starts_at=october(28), fee=80001)
    await saga.paid_booking(therapist_id=cecilia, starts_at=october(30), fee=60000)
    await saga.paid_booking(therapist_id=alice, starts_at=datetime(2026, 11, 2, 9, tzinfo=UTC))  # November
    await cancel(test_env, saga, late, by="client", refund=False)
    await cancel(test_env, saga, early, by="client", refund=True)
    await cancel(test_env, saga, by_therapist, by="therapist", refund=True)
    await wait_for(lambda: _accounts_known(billing, alice, bertil), what="bank accounts from booking's events")

    first = await billing.client.post("/payouts/runs", json={"month": "2026-10"}, headers=admin)
    assert first.status_code == 201, first.text
    assert first.json()["month"] == "2026-10" and first.json()["triggered_by"].startswith("admin ")
    paid = {p["therapist_id"]: p for p in first.json()["payouts"]}
    assert set(paid) == {str(alice), str(bertil)}
    assert paid[str(alice)]["amount_minor"] == 2 * 80750           # held + late-cancelled, 15 %
    assert paid[str(bertil)]["amount_minor"] == 72001              # 80001 less 10 % (8000.1 → 8000)
    assert paid[str(alice)]["payout_date"] == "2026-11-10"

    again = await billing.client.post("/payouts/runs", json={"month": "2026-10"}, headers=admin)
    assert again.status_code == 409 and again.json()["type"] == "/problems/month-paid-already"  # nothing is paid twice
    assert datetime.fromisoformat(again.json()["started_at"]) == datetime.fromisoformat(first.json()["started_at"])
    nothing_due = await billing.client.post("/payouts/runs", json={"month": "2026-06"}, headers=admin)
    assert nothing_due.status_code == 201 and nothing_due.json()["payouts"] == []  # a run, with nothing due
    runs = (await billing.client.get("/payouts/runs", headers=admin)).json()
    by_month = {r["month"]: r for r in runs}
    assert {p["id"] for p in by_month["2026-10"]["payouts"]} == {p["id"] for p in paid.values()}
    assert by_month["2026-06"]["payouts"] == []
    assert (await billing.client.get("/payouts/runs", headers=issuer.headers(alice, "therapist"))).status_code == 403
    this_month = rules.Month.containing(datetime.now(UTC), ZoneInfo(billing.settings.business_time_zone))
    open_month = await billing.client.post("/payouts/runs", json={"month": str(this_month)}, headers=admin)
    assert open_month.status_code == 409 and open_month.json()["type"] == "/problems/month-open"
    not_admin = await billing.client.post("/payouts/runs", json={"month": "2026-09"}, headers=issuer.headers(alice, "therapist"))
    assert not_admin.status_code == 403

    statement = (await billing.client.get(f"/payouts/{paid[str(alice)]['id']}/statement", headers=issuer.headers(alice, "therapist"))).json()
    assert [line["booking_id"] for line in statement["lines"]] == [str(held.booking_id), str(late.booking_id)]
    assert all(line["net_minor"] == 80750 and line["commission_minor"] == 14250 for line in statement["lines"])
    other = await billing.client.get(f"/payouts/{paid[str(alice)]['id']}/statement", headers=issuer.headers(bertil, "therapist"))
    missing = await billing.client.get(f"/payouts/{uuid.uuid4()}/statement", headers=issuer.headers(bertil, "therapist"))
    assert other.status_code == missing.status_code == 404  # another's statement answers as a missing one
    assert other.json()["type"] == missing.json()["type"] == "/problems/not-found"

    balances = (await billing.client.get("/ledger/balances", headers=admin)).json()
    assert sum(balances.values()) == 0                              # double entry: everything balances
    assert balances[f"therapist_payable:{alice}"] == 0               # paid in full
    assert balances[f"therapist_payable:{cecilia}"] == -51000        # owed, no bank account yet
    entries = await fetch(billing.settings, "SELECT transaction_id, sum(amount_minor) AS s FROM ledger_entries GROUP BY 1")
    assert all(row["s"] == 0 for row in entries)

    report = await billing.client.get("/reports/sessions.xlsx", params={"from": "2026-10-01", "to": "2026-10-31"},
                                      headers=issuer.headers(alice, "therapist"))
    assert report.status_code == 200
    assert report.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(report.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert rows[0] == ["Date", "Time", "Client", "Price", "Fee", "Commission", "Net", "Currency", "Status", "Payout"]
    body = rows[1:-1]
    assert [r[0].date().isoformat() for r in body] == ["2026-10-05", "2026-10-12", "2026-10-19", "2026-10-26"]
    assert body[0][1:] == ["10:00", "Test Klient Ett", 950.0, 950.0, 142.5, 807.5, "SEK", "held", body[0][9]]
    assert body[0][9].startswith("2026-10 (stub-")
    assert body[1][3:9] == [950.0, 950.0, 142.5, 807.5, "SEK", "cancelled late (fee kept)"]
    assert body[1][2] == FORMULA and sheet.cell(row=4, column=3).data_type == "s"  # text, not a live formula
    assert body[2][3:9] == [950.0, 0, 0, 0, "SEK", "cancelled early (refunded)"]
    assert body[3][3:9] == [950.0, 0, 0, 0, "SEK", "cancelled by therapist"]
    # the totals are what the month earned: the held and the late-cancelled session, not the refunded ones
    assert rows[-1][:7] == ["Total", None, None, None, 1900.0, 285.0, 1615.0]


async def _accounts_known(billing, *therapists) -> bool:
    rows = await fetch(billing.settings, "SELECT count(*) AS n FROM therapist_accounts WHERE bank_account IS NOT NULL AND therapist_id = ANY($1)", list(therapists))
    return rows[0]["n"] == len(therapists)


async def test_scheduler_pays_the_previous_month_on_the_payout_day_once(billing):
    app = billing.app
    assert await run_if_due(app, datetime(2026, 9, 9, 12, tzinfo=UTC)) is None         # before the 10th
    assert await run_if_due(app, datetime(2026, 9, 10, 12, tzinfo=UTC)) == "2026-08"
    assert await run_if_due(app, datetime(2026, 9, 11, 12, tzinfo=UTC)) is None        # already run


async def test_report_bad_input(billing, issuer):
    therapist = issuer.headers(uuid.uuid4(), "therapist")
    backwards = await billing.client.get("/reports/sessions.xlsx", params={"from": "2026-10-31", "to": "2026-10-01"}, headers=therapist)
    assert backwards.status_code == 422 and "before" in backwards.json()["detail"]
    someone_else = await billing.client.get("/reports/sessions.xlsx", params={"from": "2026-10-01", "to": "2026-10-31",
                                            "therapist_id": str(uuid.uuid4())}, headers=therapist)
    assert someone_else.status_code == 403
    client = await billing.client.get("/reports/sessions.xlsx", params={"from": "2026-10-01", "to": "2026-10-31"},
                                      headers=issuer.headers(uuid.uuid4(), "client"))
    assert client.status_code == 403


async def test_two_replicas_running_the_same_month_at_once_pay_once(billing, saga, test_env):
    therapist = uuid.uuid4()
    await publish(test_env, TherapistPayoutDetailsChanged(therapist_id=therapist, bank_account="8327-9 123 456 789-0"))
    await saga.paid_booking(therapist_id=therapist, starts_at=datetime(2026, 7, 15, 8, tzinfo=UTC))
    await wait_for(lambda: _accounts_known(billing, therapist), what="the bank account")
    app = billing.app
    import asyncio

    results = await asyncio.gather(*(run_if_due(app, datetime(2026, 8, 10, 12, tzinfo=UTC)) for _ in range(4)))
    assert results.count("2026-07") == 1 and results.count(None) == 3
    payouts = await fetch(billing.settings, "SELECT amount_minor FROM payouts WHERE therapist_id = $1", therapist)
    assert [p["amount_minor"] for p in payouts] == [80750]
