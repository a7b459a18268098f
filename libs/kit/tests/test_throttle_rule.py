"""The throttle's pure back-off rule (kit.throttle.lockout_s, retry_after)."""

from datetime import UTC, datetime, timedelta

from kit.throttle import Policy, lockout_s, retry_after


def test_no_lock_for_the_free_failures_then_doubling_up_to_the_maximum():
    policy = Policy(free=5, base_s=1.0, max_s=60.0)
    assert [lockout_s(n, policy) for n in range(1, 6)] == [0.0] * 5
    assert [lockout_s(n, policy) for n in range(6, 13)] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0]
    assert lockout_s(10_000, policy) == 60.0  # no overflow however long the attack


def test_retry_after_rounds_up_and_is_zero_when_free():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert retry_after(None, now) == 0
    assert retry_after(now - timedelta(seconds=1), now) == 0
    assert retry_after(now + timedelta(seconds=0.2), now) == 1
    assert retry_after(now + timedelta(seconds=2.5), now) == 3
