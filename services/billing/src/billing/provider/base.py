"""The payment provider interface, shaped like a card-payment API with payment intents:

create a payment for an amount → the client confirms it with a payment method → the outcome arrives
asynchronously as a signed webhook (``payment.succeeded`` / ``payment.failed``); refunds likewise
(``refund.succeeded``). Every call takes an idempotency key, so a retried call never creates or moves
anything twice. A real adapter implements this protocol; ``stub.StubProvider`` is the development one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

ProviderPaymentStatus = Literal["requires_payment", "processing", "succeeded", "failed", "canceled"]


@dataclass(frozen=True)
class ProviderPayment:
    id: str
    status: ProviderPaymentStatus


@dataclass(frozen=True)
class ProviderRefund:
    id: str
    status: Literal["pending", "succeeded", "failed"]


class ProviderError(Exception):
    """The provider refused the call (the message says why)."""


class PaymentProvider(Protocol):
    async def create_payment(
        self, *, amount_minor: int, currency: str, reference: str, idempotency_key: str
    ) -> ProviderPayment: ...

    async def confirm_payment(self, payment_id: str, *, payment_method: str) -> ProviderPayment: ...

    async def cancel_payment(self, payment_id: str) -> ProviderPayment: ...

    async def refund(self, payment_id: str, *, amount_minor: int, idempotency_key: str) -> ProviderRefund: ...


@dataclass(frozen=True)
class WebhookEvent:
    """A verified webhook: ``id`` is unique per event; ``data`` depends on ``type``."""

    id: str
    type: Literal["payment.succeeded", "payment.failed", "refund.succeeded"]
    data: dict[str, Any]
