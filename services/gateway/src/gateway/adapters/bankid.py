"""BankID's relying-party API v6 (GW-1), chosen by GATEWAY_BANKID_ADAPTER: auth → collect until
complete/failed, cancel.

``auth`` returns orderRef, autoStartToken, qrStartToken and qrStartSecret; ``collect`` answers
``pending`` with a hint code (outstandingTransaction, userSign, …), ``complete`` with completionData.user
(personalNumber, name), or ``failed`` (userCancel, expiredTransaction, cancelled, startFailed, …).

Both adapters keep the gateway's own record of each order (``bankid_orders``): the QR is computed from it
every second (:func:`gateway.identity.rules.qr_data`, one function for both), only orders this gateway
started can be collected, and a completed order holds the personal number only as an HMAC and a masked
form. ``collect`` answers like the RP API, with the personal number masked.

- ``stub`` (``BankIdStub``): plays BankID itself; in development and tests a simulator plays the user's app
  (sign as a personal number, or cancel).
- ``http`` (``BankIdRp``): calls ``POST {GATEWAY_BANKID_URL}/auth``, ``/collect``, ``/cancel`` over mutual
  TLS (the RP client certificate and key, BankID's CA bundle). BankID's errors become problems:
  alreadyInProgress → 409, invalidParameters → 400; maintenance and requestTimeout are retried; the rest
  (unauthorized, notFound, internalError, …) are our configuration or BankID's fault → 503.
"""

from __future__ import annotations

import logging
import os
import ssl
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import IdentityNumberError, mask, swedish_personal_number
from gateway.identity import rules
from gateway.identity.models import BankIdOrder
from gateway.settings import Settings
from kit.adapters import HttpApi, OutsideSystemError
from kit.problems import Problem, invalid
from kit.raises import declares

log = logging.getLogger("gateway.bankid")
SYSTEM = "bankid"


@declares(503, "bankid-unavailable")
@declares(400, "bankid-invalid-parameters")
@declares(409, "bankid-already-in-progress")
class BankId(Protocol):
    async def auth(self, session: AsyncSession, end_user_ip: str) -> dict[str, Any]: ...

    async def order(self, session: AsyncSession, order_ref: uuid.UUID, *, lock: bool = True) -> BankIdOrder: ...

    async def collect(self, session: AsyncSession, order_ref: uuid.UUID, now: datetime | None = None) -> dict[str, Any]: ...

    async def cancel(self, session: AsyncSession, order_ref: uuid.UUID) -> dict[str, Any]: ...

    def qr(self, order: BankIdOrder, now: datetime | None = None) -> str: ...


async def find_order(session: AsyncSession, order_ref: uuid.UUID, *, lock: bool = True) -> BankIdOrder:
    query = select(BankIdOrder).where(BankIdOrder.order_ref == order_ref)
    found = (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if found is None:
        raise Problem(400, "bankid-invalid-parameters", "no such orderRef (errorCode invalidParameters)")
    return found


def qr(order: BankIdOrder, now: datetime | None = None) -> str:
    seconds = int(((now or datetime.now(UTC)) - order.created_at).total_seconds())
    return rules.qr_data(order.qr_start_token, order.qr_start_secret, max(seconds, 0))


def answer(order: BankIdOrder) -> dict[str, Any]:
    """The order as the RP API's collect answers it, with the personal number masked."""
    found: dict[str, Any] = {"orderRef": str(order.order_ref), "status": order.status}
    if order.status != "complete":
        found["hintCode"] = order.hint_code
    else:
        found["completionData"] = {"user": {"personalNumber": order.personal_number_masked, "name": order.name}}
    return found


def complete(order: BankIdOrder, key: str, number: str, name: str) -> None:
    order.status, order.hint_code, order.name = "complete", "", name
    order.personal_number_hmac = rules.identity_hmac(key, number)
    order.personal_number_masked = mask(number)


class BankIdStub:
    def __init__(self, identity_hmac_key: str, order_ttl_s: int) -> None:
        self.key = identity_hmac_key
        self.ttl = timedelta(seconds=order_ttl_s)

    async def auth(self, session: AsyncSession, end_user_ip: str) -> dict[str, Any]:
        order = BankIdOrder(order_ref=uuid.uuid4(), auto_start_token=str(uuid.uuid4()), qr_start_token=str(uuid.uuid4()),
                            qr_start_secret=str(uuid.uuid4()), expires_at=datetime.now(UTC) + self.ttl)
        session.add(order)
        await session.flush()
        return {"orderRef": str(order.order_ref), "autoStartToken": order.auto_start_token,
                "qrStartToken": order.qr_start_token, "qrStartSecret": order.qr_start_secret}

    async def order(self, session: AsyncSession, order_ref: uuid.UUID, *, lock: bool = True) -> BankIdOrder:
        return await find_order(session, order_ref, lock=lock)

    async def collect(self, session: AsyncSession, order_ref: uuid.UUID, now: datetime | None = None) -> dict[str, Any]:
        order = await self.order(session, order_ref)
        if order.status == "pending" and (now or datetime.now(UTC)) >= order.expires_at:
            order.status, order.hint_code = "failed", "expiredTransaction"
        return answer(order)

    async def cancel(self, session: AsyncSession, order_ref: uuid.UUID) -> dict[str, Any]:
        order = await self.order(session, order_ref)
        if order.status == "pending":
            order.status, order.hint_code = "failed", "cancelled"
        return {}

    def qr(self, order: BankIdOrder, now: datetime | None = None) -> str:
        return qr(order, now)

    # -- the simulator (development and tests): plays the user's BankID app --------------------------------
    async def simulate_sign(self, session: AsyncSession, order_ref: uuid.UUID, personal_number: str, name: str) -> None:
        try:
            number = swedish_personal_number(personal_number)
        except IdentityNumberError as exc:
            raise invalid(str(exc)) from exc
        order = await self.order(session, order_ref)
        if order.status != "pending":
            raise Problem(409, "bankid-order-finished", f"the order is {order.status}")
        complete(order, self.key, number, name)

    async def simulate_cancel(self, session: AsyncSession, order_ref: uuid.UUID) -> None:
        order = await self.order(session, order_ref)
        if order.status == "pending":
            order.status, order.hint_code = "failed", "userCancel"


# -- production: BankID's RP API v6 over mutual TLS ------------------------------------------------------------
def mutual_tls(client_cert_pem: str, client_key_pem: str, ca_pem: str) -> ssl.SSLContext:
    """A TLS context that trusts only BankID's CA and presents the RP certificate. ``ssl`` loads a key
    only from a file: it is written to a private temporary directory and removed at once."""
    context = ssl.create_default_context(cadata=ca_pem)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rp.pem"
        path.touch(mode=0o600)
        path.write_text(client_cert_pem.strip() + "\n" + client_key_pem.strip() + "\n")
        context.load_cert_chain(path)
        os.remove(path)
    return context


#: BankID's errorCodes that are the user's or the order's (a problem for the caller); any other is ours or
#: BankID's (503, logged with the code).
REFUSALS = {
    "alreadyInProgress": (409, "bankid-already-in-progress",
                          "a BankID order for this person is already in progress; finish or cancel it first"),
    "invalidParameters": (400, "bankid-invalid-parameters", "BankID did not accept the order (errorCode invalidParameters)"),
}


class BankIdRp:
    def __init__(self, settings: Settings, *, context: ssl.SSLContext | None = None) -> None:
        self.key = settings.identity_hmac_key.get_secret_value()
        self.ttl = timedelta(seconds=settings.bankid_order_ttl_s)
        context = context or mutual_tls(settings.bankid_client_cert_pem.get_secret_value(),
                                        settings.bankid_client_key_pem.get_secret_value(), settings.bankid_ca_pem)
        self.api = HttpApi(SYSTEM, settings.bankid_url.rstrip("/") + "/", timeout_s=settings.bankid_timeout_s,
                           attempts=settings.bankid_attempts, verify=context)  # type: ignore[arg-type]

    async def call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.api.request("POST", method, json=body)
        if response.is_success:
            try:
                found = response.json()
            except ValueError as exc:
                raise OutsideSystemError(SYSTEM, "BankID answered something that is not JSON") from exc
            if not isinstance(found, dict):
                raise OutsideSystemError(SYSTEM, "BankID answered something we cannot read")
            return found
        try:
            code = str(response.json().get("errorCode", ""))
        except (ValueError, AttributeError):
            code = ""
        if code in REFUSALS:
            status, slug, detail = REFUSALS[code]
            raise Problem(status, slug, detail)
        log.warning("BankID refused %s: HTTP %s errorCode %s", method, response.status_code, code or "-")
        raise OutsideSystemError(SYSTEM, f"BankID refused the request ({code or response.status_code})")

    async def auth(self, session: AsyncSession, end_user_ip: str) -> dict[str, Any]:
        started = await self.call("auth", {"endUserIp": end_user_ip})
        try:
            order = BankIdOrder(order_ref=uuid.UUID(started["orderRef"]), auto_start_token=started["autoStartToken"],
                                qr_start_token=started["qrStartToken"], qr_start_secret=started["qrStartSecret"],
                                expires_at=datetime.now(UTC) + self.ttl)
        except (KeyError, ValueError, TypeError) as exc:
            raise OutsideSystemError(SYSTEM, "BankID's auth answer lacks the order's tokens") from exc
        session.add(order)
        await session.flush()
        return {key: started[key] for key in ("orderRef", "autoStartToken", "qrStartToken", "qrStartSecret")}

    async def order(self, session: AsyncSession, order_ref: uuid.UUID, *, lock: bool = True) -> BankIdOrder:
        return await find_order(session, order_ref, lock=lock)

    async def collect(self, session: AsyncSession, order_ref: uuid.UUID, now: datetime | None = None) -> dict[str, Any]:
        order = await self.order(session, order_ref)
        if order.status != "pending":  # finished: BankID has nothing more to say
            return answer(order)
        found = await self.call("collect", {"orderRef": str(order_ref)})
        status = found.get("status")
        if status == "complete":
            user = (found.get("completionData") or {}).get("user") or {}
            try:
                number = swedish_personal_number(str(user.get("personalNumber", "")))
            except IdentityNumberError as exc:
                raise OutsideSystemError(SYSTEM, "BankID's completion data has no valid personal number") from exc
            complete(order, self.key, number, str(user.get("name") or ""))
        elif status in ("pending", "failed"):
            order.status, order.hint_code = status, str(found.get("hintCode") or "")
        else:
            raise OutsideSystemError(SYSTEM, "BankID's collect answer has an unknown status")
        return answer(order)

    async def cancel(self, session: AsyncSession, order_ref: uuid.UUID) -> dict[str, Any]:
        order = await self.order(session, order_ref)
        if order.status == "pending":
            await self.call("cancel", {"orderRef": str(order_ref)})
            order.status, order.hint_code = "failed", "cancelled"
        return {}

    def qr(self, order: BankIdOrder, now: datetime | None = None) -> str:
        return qr(order, now)

    async def close(self) -> None:
        await self.api.close()


def bankid_adapter(settings: Settings) -> BankId:
    if settings.bankid_adapter == "http":
        return BankIdRp(settings)
    return BankIdStub(settings.identity_hmac_key.get_secret_value(), settings.bankid_order_ttl_s)
