"""The payment state machine, as pure rules.

    pending ──pay──▶ processing ──payment.succeeded──▶ captured ──refund──▶ refund_pending ──▶ refunded
       │  ▲              │
       │  └──pay again── failed ◀──payment.failed
       └──── hold expired / cancelled (pending, processing, failed) ──▶ voided

A capture that arrives after the payment was voided (the client paid in the last second of the hold) is
recorded and refunded at once: money is never kept for a booking that does not exist.
"""

from __future__ import annotations

from datetime import datetime

PAYABLE = frozenset({"pending", "failed"})
VOIDABLE = frozenset({"pending", "processing", "failed"})
CAPTURABLE = frozenset({"pending", "processing", "failed"})
#: States a payment reaches only after a confirmation got through to the provider
PAID_FOR = frozenset({"processing", "captured", "refund_pending", "refunded"})
#: The provider's states of a payment it has a confirmation for (the outcome may still be on its way)
CONFIRMED_AT_PROVIDER = frozenset({"processing", "succeeded"})


def hold_active(hold_expires_at: datetime, now: datetime) -> bool:
    """The client may pay only while booking still holds the slot."""
    return now < hold_expires_at


def can_pay(status: str) -> bool:
    return status in PAYABLE


def after_interrupted_pay(status: str, provider_status: str | None) -> str:
    """A ``pay`` retried after an attempt with its key left no answer (billing died after the provider's
    charge, before its commit): ``answer`` with the payment as it is now (the charge got through and billing
    has seen its effect, or the payment was voided meanwhile and the capture is refunded), ``processing``
    (the provider has the confirmation, billing never recorded it) or ``pay`` (no charge got through: pay
    as if for the first time). ``provider_status`` is asked only when ``status`` does not decide alone."""
    if status in PAID_FOR:
        return "answer"
    if provider_status not in CONFIRMED_AT_PROVIDER:
        return "pay"
    return "processing" if status in PAYABLE else "answer"


def can_void(status: str) -> bool:
    return status in VOIDABLE


def on_capture(status: str) -> str:
    """What a ``payment.succeeded`` webhook means for a payment in ``status``:
    ``capture`` (normal), ``capture_and_refund`` (it was voided meanwhile) or ``ignore`` (already done)."""
    if status in CAPTURABLE:
        return "capture"
    if status == "voided":
        return "capture_and_refund"
    return "ignore"


def refund_on_cancellation(status: str, refund: bool) -> str:
    """What a cancelled booking means for its payment: ``refund`` captured money, ``void`` an unpaid
    payment, or ``nothing`` (no refund owed, or nothing left to do)."""
    if status in VOIDABLE:
        return "void"
    if refund and status == "captured":
        return "refund"
    return "nothing"
