"""Pure ledger rules: the commission split and the postings of each kind of transaction.

Accounts
- ``provider_clearing``          asset: money held for us by the payment provider
- ``client_prepayments``         liability: fees paid in advance for sessions not yet held
- ``platform_commission``        revenue: the platform's share of held (or late-cancelled) sessions
- ``therapist_payable:<id>``     liability: what we owe one therapist

Signs: a debit is positive, a credit negative; the postings of one transaction sum to zero (the
database refuses a transaction that does not balance).

Commission rounding rule: commission = fee × rate, rounded half up to the whole minor unit; the
therapist's share is the fee minus the commission, so the two always add up to the fee exactly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

DEFAULT_COMMISSION_BP = 1500  # 15 % in basis points

PROVIDER_CLEARING = "provider_clearing"
CLIENT_PREPAYMENTS = "client_prepayments"
PLATFORM_COMMISSION = "platform_commission"


def therapist_payable(therapist_id: uuid.UUID) -> str:
    return f"therapist_payable:{therapist_id}"


@dataclass(frozen=True)
class Split:
    fee: int
    commission: int
    net: int


def split(fee_minor: int, commission_bp: int = DEFAULT_COMMISSION_BP) -> Split:
    if fee_minor < 0:
        raise ValueError("a fee is never negative")
    if not 0 <= commission_bp <= 10_000:
        raise ValueError("commission is between 0 and 100 %")
    commission = int((Decimal(fee_minor) * commission_bp / 10_000).to_integral_value(rounding=ROUND_HALF_UP))
    return Split(fee=fee_minor, commission=commission, net=fee_minor - commission)


Posting = tuple[str, int]


def capture(fee: int) -> list[Posting]:
    return [(PROVIDER_CLEARING, fee), (CLIENT_PREPAYMENTS, -fee)]


def refund(fee: int) -> list[Posting]:
    return [(CLIENT_PREPAYMENTS, fee), (PROVIDER_CLEARING, -fee)]


def earned(therapist_id: uuid.UUID, parts: Split) -> list[Posting]:
    """The session was held (or cancelled late): the prepayment becomes commission and the therapist's share."""
    return [
        (CLIENT_PREPAYMENTS, parts.fee),
        (PLATFORM_COMMISSION, -parts.commission),
        (therapist_payable(therapist_id), -parts.net),
    ]


def payout(therapist_id: uuid.UUID, amount: int) -> list[Posting]:
    return [(therapist_payable(therapist_id), amount), (PROVIDER_CLEARING, -amount)]


def balanced(postings: list[Posting]) -> bool:
    return sum(amount for _, amount in postings) == 0
