"""Bank transfers behind an interface; the development stub only records a reference.

A real adapter (a bank's payment-initiation API or a payment file) implements ``BankTransfers``; the
``idempotency_key`` (month and therapist) makes a repeated call return the first transfer.
"""

from __future__ import annotations

import hashlib
from typing import Protocol


class BankTransfers(Protocol):
    async def transfer(self, *, to_account: str, amount_minor: int, currency: str, idempotency_key: str) -> str: ...


class StubBankTransfers:
    async def transfer(self, *, to_account: str, amount_minor: int, currency: str, idempotency_key: str) -> str:
        return "stub-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]
