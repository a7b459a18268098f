"""The 24-hour rule, exhaustively at its boundary and across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.bookings.rules import CancellationOutcome, can_book, cancellation_outcome

REFUND = CancellationOutcome(refund=True, therapist_paid=False)
KEEP = CancellationOutcome(refund=False, therapist_paid=True)
STOCKHOLM = ZoneInfo("Europe/Stockholm")
START = datetime(2026, 12, 3, 9, 0, tzinfo=STOCKHOLM)


@pytest.mark.parametrize(("before", "outcome"), [
    (timedelta(days=10), REFUND),
    (timedelta(hours=24, microseconds=1), REFUND),   # more than 24 h: refund
    (timedelta(hours=24), KEEP),                      # exactly 24 h is not "more than": the fee is kept
    (timedelta(hours=23, minutes=59, seconds=59), KEEP),
    (timedelta(minutes=1), KEEP),
])
def test_client_cancelling(before, outcome):
    assert cancellation_outcome("client", START, START - before) == outcome


@pytest.mark.parametrize("before", [timedelta(days=3), timedelta(hours=24), timedelta(hours=1)])
def test_therapist_cancelling_always_refunds_in_full(before):
    assert cancellation_outcome("therapist", START, START - before) == REFUND


def test_spring_forward_24_real_hours_not_the_same_clock_time():
    # Clocks go 02:00 → 03:00 on 29 March 2026 in Stockholm. A session at 10:00 on the 29th:
    start = datetime(2026, 3, 29, 10, 0, tzinfo=STOCKHOLM)
    same_clock_time_day_before = datetime(2026, 3, 28, 10, 0, tzinfo=STOCKHOLM)  # 23 real hours before
    assert start.astimezone(UTC) - same_clock_time_day_before.astimezone(UTC) == timedelta(hours=23)
    assert cancellation_outcome("client", start, same_clock_time_day_before) == KEEP
    deadline = start.astimezone(UTC) - timedelta(hours=24)  # 09:00 local on the 28th
    assert deadline.astimezone(STOCKHOLM).hour == 9
    assert cancellation_outcome("client", start, deadline - timedelta(seconds=1)) == REFUND
    assert cancellation_outcome("client", start, deadline) == KEEP


def test_fall_back_24_real_hours_not_the_same_clock_time():
    # Clocks go 03:00 → 02:00 on 25 October 2026. A session at 10:00 on the 25th:
    start = datetime(2026, 10, 25, 10, 0, tzinfo=STOCKHOLM)
    same_clock_time_day_before = datetime(2026, 10, 24, 10, 0, tzinfo=STOCKHOLM)  # 25 real hours before
    assert cancellation_outcome("client", start, same_clock_time_day_before) == REFUND
    deadline = start.astimezone(UTC) - timedelta(hours=24)  # 11:00 local on the 24th
    assert deadline.astimezone(STOCKHOLM).hour == 11
    assert cancellation_outcome("client", start, deadline) == KEEP
    assert cancellation_outcome("client", start, deadline - timedelta(microseconds=1)) == REFUND


def test_instants_in_any_offset_compare_equally():
    start_utc = START.astimezone(UTC)
    now = (START - timedelta(hours=24, seconds=1)).astimezone(ZoneInfo("America/New_York"))
    assert cancellation_outcome("client", start_utc, now) == REFUND


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        cancellation_outcome("client", datetime(2026, 12, 3, 9), START)


@pytest.mark.parametrize(("audience", "invited", "client", "existing", "allowed"), [
    ("everyone", None, "a", False, True),
    ("existing_clients", None, "a", True, True),
    ("existing_clients", None, "a", False, False),
    ("invited", "a", "a", False, True),
    ("invited", "a", "b", True, False),
])
def test_who_may_book(audience, invited, client, existing, allowed):
    assert can_book(audience, invited, client, existing) is allowed
