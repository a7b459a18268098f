"""Pure rules of the ledger and payouts: the commission split, months, the payout date, report statuses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from billing.ledger import rules as ledger
from billing.payouts import rules

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.mark.parametrize(("fee", "bp", "commission", "net"), [
    (95000, 1500, 14250, 80750),
    (5, 1500, 1, 4),          # 0.75 rounds half up to 1
    (10, 1500, 2, 8),         # 1.5 rounds half up to 2
    (3, 1500, 0, 3),          # 0.45 rounds down
    (80001, 1000, 8000, 72001),
    (0, 1500, 0, 0),
    (1000, 0, 0, 1000),
    (1000, 10_000, 1000, 0),
])
def test_commission_split_always_adds_up_to_the_fee(fee, bp, commission, net):
    parts = ledger.split(fee, bp)
    assert (parts.commission, parts.net) == (commission, net)
    assert parts.commission + parts.net == fee


def test_split_refuses_nonsense():
    with pytest.raises(ValueError):
        ledger.split(-1)
    with pytest.raises(ValueError):
        ledger.split(100, 10_001)


def test_every_kind_of_posting_balances():
    therapist = uuid.uuid4()
    parts = ledger.split(95000)
    for postings in (ledger.capture(95000), ledger.refund(95000), ledger.earned(therapist, parts), ledger.payout(therapist, 80750)):
        assert ledger.balanced(postings)
    assert not ledger.balanced([("a", 1)])


def test_months():
    assert str(rules.Month.parse("2026-12").next()) == "2027-01"
    assert str(rules.Month.parse("2027-01").previous()) == "2026-12"
    with pytest.raises(ValueError, match="YYYY-MM"):
        rules.Month.parse("2026-13")
    for outside in ("0000-01", "9999-12"):  # no month after them to end in
        with pytest.raises(ValueError, match="2000-01 to 2099-12"):
            rules.Month.parse(outside)
    october = rules.Month.parse("2026-10")
    # October ends at local midnight, which is 23:00 UTC on 31 October (winter time began on the 25th)
    assert october.end(STOCKHOLM) == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert not rules.is_closed(october, datetime(2026, 10, 31, 22, 59, tzinfo=UTC), STOCKHOLM)
    assert rules.is_closed(october, datetime(2026, 10, 31, 23, 0, tzinfo=UTC), STOCKHOLM)
    # a session at 00:30 local on 1 November belongs to November although it is still October in UTC
    assert str(rules.Month.containing(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), STOCKHOLM)) == "2026-11"


def test_payout_is_due_from_the_payout_day_for_the_previous_month():
    assert rules.due_month(datetime(2026, 11, 9, 12, tzinfo=UTC), STOCKHOLM, 10) is None
    assert str(rules.due_month(datetime(2026, 11, 9, 23, 30, tzinfo=UTC), STOCKHOLM, 10)) == "2026-10"  # 10th, local
    assert str(rules.due_month(datetime(2027, 1, 15, tzinfo=UTC), STOCKHOLM, 10)) == "2026-12"
    assert str(rules.payout_date(rules.Month.parse("2026-12"), 10)) == "2027-01-10"


@pytest.mark.parametrize(("status", "by", "paid", "expected", "earns"), [
    ("captured", None, None, "held", True),
    ("captured", "client", True, "cancelled late (fee kept)", True),
    ("refunded", "client", False, "cancelled early (refunded)", False),
    ("refunded", "therapist", False, "cancelled by therapist", False),
    ("voided", None, None, "not paid (hold expired)", False),
    ("refund_pending", None, None, "refunded", False),
])
def test_session_status_and_what_earns(status, by, paid, expected, earns):
    past = datetime(2026, 10, 1, tzinfo=UTC)
    assert rules.session_status(status, by, paid, past, datetime(2026, 11, 1, tzinfo=UTC)) == expected
    assert rules.earns(status, by, paid) is earns
