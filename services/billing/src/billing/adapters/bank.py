"""Bank transfers: the payouts to therapists' bank accounts (BL-4) behind an interface, its development
stub and the production adapter for a bank's payment-initiation REST API.

The ``idempotency_key`` is the payout's identity (month, therapist and currency): a repeated call, after
a crash or a rolled-back run, returns the first transfer and moves no money twice.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Literal, Protocol

import httpx

from billing.settings import Settings
from kit.adapters import HttpApi, OutsideSystemError
from kit.problems import Problem
from kit.raises import declares

log = logging.getLogger("billing.adapters.bank")

SYSTEM = "bank"

TransferStatus = Literal["pending", "executed", "rejected"]


@dataclass(frozen=True)
class Transfer:
    reference: str
    status: TransferStatus


class BankRefused(Problem):
    """The bank refused the transfer for good (a closed account, a malformed account number): a 422
    problem naming what the bank said, never retried."""

    def __init__(self, detail: str) -> None:
        super().__init__(422, "bank-transfer-refused", detail)


@declares(503, "bank-unavailable")
class BankTransfers(Protocol):
    async def transfer(self, *, to_account: str, amount_minor: int, currency: str, idempotency_key: str) -> str:
        """The bank's reference of the transfer."""
        ...

    async def status(self, reference: str) -> Transfer: ...

    async def close(self) -> None: ...


class StubBankTransfers:
    """The development bank (``BILLING_BANK=stub``): records nothing anywhere but the payout, and answers a
    reference derived from the idempotency key (the same key, the same reference)."""

    async def transfer(self, *, to_account: str, amount_minor: int, currency: str, idempotency_key: str) -> str:
        return "stub-" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]

    async def status(self, reference: str) -> Transfer:
        return Transfer(reference, "executed")

    async def close(self) -> None:
        pass


class HttpBankTransfers:
    """A bank's payment-initiation API (``BILLING_BANK=http``) at ``BILLING_BANK_URL``, authenticated with
    ``BILLING_BANK_API_KEY`` (bearer) and, when set, a client certificate (``BILLING_BANK_CLIENT_CERT`` /
    ``BILLING_BANK_CLIENT_KEY``, PEM files):

    - ``POST /v1/payments`` ``{debtor_account, creditor_account, amount_minor, currency, end_to_end_id}``
      with ``X-Request-ID`` / ``Idempotency-Key`` = the payout's key → ``{payment_id, status}``
    - ``GET /v1/payments/{payment_id}`` → ``{payment_id, status}``

    Retries of transient failures are safe because the bank dedupes on the key; a 4xx is a refusal
    (:class:`BankRefused`, 422), unreachable → ``OutsideSystemError`` (503).
    """

    def __init__(self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cert = (settings.bank_client_cert, settings.bank_client_key) if settings.bank_client_cert else None
        self.debtor_account = settings.bank_debtor_account
        self.api = HttpApi(SYSTEM, settings.bank_url, timeout_s=settings.bank_timeout_s, cert=cert,
                           headers={"Authorization": f"Bearer {settings.bank_api_key.get_secret_value()}"},
                           transport=transport)

    async def _json(self, response: httpx.Response) -> dict:
        if response.is_success:
            try:
                return response.json()
            except ValueError as exc:
                raise OutsideSystemError(SYSTEM, "the bank answered with something that is not JSON") from exc
        if 400 <= response.status_code < 500 and response.status_code not in (401, 403):
            try:
                message = str(response.json().get("message") or "")
            except (ValueError, AttributeError):
                message = ""
            raise BankRefused(f"the bank refused the transfer: {message or response.status_code}"[:300])
        log.warning("the bank answered with %s", response.status_code)
        raise OutsideSystemError(SYSTEM, f"the bank refused the request ({response.status_code})")

    async def transfer(self, *, to_account: str, amount_minor: int, currency: str, idempotency_key: str) -> str:
        response = await self.api.request(
            "POST", "/v1/payments", headers={"Idempotency-Key": idempotency_key, "X-Request-ID": idempotency_key},
            json={"debtor_account": self.debtor_account, "creditor_account": to_account, "amount_minor": amount_minor,
                  "currency": currency, "end_to_end_id": idempotency_key[:35]})
        return (await self._json(response))["payment_id"]

    async def status(self, reference: str) -> Transfer:
        body = await self._json(await self.api.request("GET", f"/v1/payments/{reference}"))
        return Transfer(body["payment_id"], body["status"])

    async def close(self) -> None:
        await self.api.close()
