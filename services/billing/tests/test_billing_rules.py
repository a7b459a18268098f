"""Pure rules of payments: the state machine and webhook signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from billing.adapters import payment_provider
from billing.payments import rules


@pytest.mark.parametrize(
    ("status", "payable", "voidable", "on_capture"),
    [
        ("pending", True, True, "capture"),
        ("processing", False, True, "capture"),
        ("failed", True, True, "capture"),
        ("captured", False, False, "ignore"),
        ("voided", False, False, "capture_and_refund"),
        ("refund_pending", False, False, "ignore"),
        ("refunded", False, False, "ignore"),
    ],
)
def test_state_machine(status, payable, voidable, on_capture):
    assert rules.can_pay(status) is payable
    assert rules.can_void(status) is voidable
    assert rules.on_capture(status) == on_capture


@pytest.mark.parametrize(
    ("status", "refund", "action"),
    [
        ("captured", True, "refund"),
        ("captured", False, "nothing"),  # late cancellation: the fee is kept
        ("pending", True, "void"),
        ("processing", False, "void"),
        ("refunded", True, "nothing"),
        ("voided", True, "nothing"),
    ],
)
def test_what_a_cancellation_does_to_the_payment(status, refund, action):
    assert rules.refund_on_cancellation(status, refund) == action


@pytest.mark.parametrize(("status", "at_provider", "action"), [
    ("captured", None, "answer"),             # the webhook captured it after billing died: its state is the answer
    ("processing", None, "answer"),
    ("refunded", None, "answer"),
    ("pending", "processing", "processing"),  # the provider has the charge, billing never recorded it
    ("pending", "succeeded", "processing"),   # … and its webhook is on the way
    ("failed", "processing", "processing"),
    ("pending", "requires_payment", "pay"),   # no charge got through: pay as the first time
    ("pending", "failed", "pay"),
    ("voided", "canceled", "pay"),            # voided before any charge: paying is refused as without a key
    ("voided", "processing", "answer"),       # charged after the void: the capture is refunded at once
])
def test_what_a_pay_retried_after_a_crash_answers(status, at_provider, action):
    assert rules.after_interrupted_pay(status, at_provider) == action


def test_hold_is_active_strictly_before_it_expires():
    expires = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert rules.hold_active(expires, expires - timedelta(microseconds=1))
    assert not rules.hold_active(expires, expires)


def test_signature_round_trip_and_what_is_refused():
    body = b'{"id": "evt_1"}'
    header = payment_provider.sign("secret", body, timestamp=1_000_000)
    payment_provider.verify("secret", body, header, tolerance_s=300, now=1_000_100)
    with pytest.raises(payment_provider.SignatureError, match="does not match"):
        payment_provider.verify("secret", body + b" ", header, tolerance_s=300, now=1_000_100)
    with pytest.raises(payment_provider.SignatureError, match="does not match"):
        payment_provider.verify("other secret", body, header, tolerance_s=300, now=1_000_100)
    with pytest.raises(payment_provider.SignatureError, match="s old"):
        payment_provider.verify("secret", body, header, tolerance_s=300, now=1_000_301)
    with pytest.raises(payment_provider.SignatureError, match="missing"):
        payment_provider.verify("secret", body, None, tolerance_s=300)
    with pytest.raises(payment_provider.SignatureError, match="malformed"):
        payment_provider.verify("secret", body, "v1=abc", tolerance_s=300)
