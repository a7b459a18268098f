"""The appointment book's pure rules: template occurrences across daylight-saving changes, the delete
window and seats."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from booking.appointments import rules

OSLO = ZoneInfo("Europe/Oslo")


def test_a_weekly_group_keeps_its_local_time_across_the_spring_change():
    # Oslo moves from CET (+1) to CEST (+2) on Sunday 29 March 2026
    monday_group = rules.Placement("entry", weekday=0, starts=time(9, 0), length_minutes=90)
    found = rules.occurrences([monday_group], date(2026, 3, 16), date(2026, 4, 5), OSLO)
    assert [o.starts_at for o in found] == [datetime(2026, 3, 16, 8, 0, tzinfo=UTC), datetime(2026, 3, 23, 8, 0, tzinfo=UTC),
                                            datetime(2026, 3, 30, 7, 0, tzinfo=UTC)]
    assert all(o.starts_at.astimezone(OSLO).time() == time(9, 0) for o in found)
    assert all(o.ends_at - o.starts_at == timedelta(minutes=90) for o in found)
    assert [o.key for o in found] == ["entry:2026-03-16", "entry:2026-03-23", "entry:2026-03-30"]


def test_a_time_in_the_spring_gap_moves_forward_and_an_autumn_double_hour_is_the_first():
    gap = rules.local_to_utc(date(2026, 3, 29), time(2, 30), OSLO)
    assert gap.astimezone(OSLO).replace(tzinfo=None) == datetime(2026, 3, 29, 3, 30)
    twice = rules.local_to_utc(date(2026, 10, 25), time(2, 30), OSLO)
    assert twice == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, before the clocks go back


def test_a_session_spanning_the_autumn_change_lasts_its_real_length():
    sunday_night = rules.Placement("e", weekday=6, starts=time(1, 30), length_minutes=120)
    (found,) = rules.occurrences([sunday_night], date(2026, 10, 25), date(2026, 10, 25), OSLO)
    assert found.ends_at - found.starts_at == timedelta(hours=2)
    assert found.ends_at.astimezone(OSLO).time() == time(2, 30)  # wall clock shows one hour, two really passed


def test_periods_are_checked():
    with pytest.raises(rules.AppointmentRuleError, match="ends before"):
        rules.occurrences([], date(2026, 5, 2), date(2026, 5, 1), OSLO)
    with pytest.raises(rules.AppointmentRuleError, match="at most"):
        rules.occurrences([], date(2026, 1, 1), date(2027, 1, 2), OSLO)


def test_delete_only_within_five_minutes():
    created = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    assert rules.may_delete(created, created + timedelta(minutes=4, seconds=59))
    assert rules.may_delete(created, created + timedelta(minutes=5))
    assert not rules.may_delete(created, created + timedelta(minutes=5, seconds=1))


def test_seats():
    rules.check_seats(10, "group", 10)
    with pytest.raises(rules.AppointmentRuleError, match="cannot go below"):
        rules.check_seats(8, "group", 9)
    with pytest.raises(rules.AppointmentRuleError, match="at least two"):
        rules.check_seats(1, "group", 0)
    with pytest.raises(rules.AppointmentRuleError, match="one seat"):
        rules.check_seats(2, "single", 0)


def test_helfo_settlement_splits_the_fee_and_an_exemption_card_pays_the_share():
    tariffs = {"a": {"fee_minor": 30000, "patient_share_minor": 20000}, "b": {"fee_minor": 5000, "patient_share_minor": 0}}
    assert rules.settle(["a", "b"], tariffs, exempt=False) == rules.Settlement(35000, 20000, 15000)
    assert rules.settle(["a", "b"], tariffs, exempt=True) == rules.Settlement(35000, 0, 35000)
    with pytest.raises(rules.AppointmentRuleError, match="unknown HELFO tariff codes: c"):
        rules.settle(["a", "c"], tariffs, exempt=False)
