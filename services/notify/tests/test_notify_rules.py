"""Pure rules of notify: when a group-appointment notice goes."""

from datetime import UTC, datetime, timedelta

from notify.messages.rules import group_notice_due

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DELAY = timedelta(minutes=5)


def test_a_notice_goes_five_minutes_after_the_last_change():
    assert group_notice_due(NOW, DELAY, NOW + timedelta(days=2)) == NOW + DELAY


def test_a_change_just_before_the_start_is_told_at_the_start_at_the_latest():
    assert group_notice_due(NOW, DELAY, NOW + timedelta(minutes=2)) == NOW + timedelta(minutes=2)


def test_no_notice_for_an_appointment_that_has_started_or_is_over():
    assert group_notice_due(NOW, DELAY, NOW) is None
    assert group_notice_due(NOW, DELAY, NOW - timedelta(hours=3)) is None
