"""The BankID stub, shaped like the relying-party API v6 (auth → collect until complete/failed, cancel).

``auth`` returns orderRef, autoStartToken, qrStartToken and qrStartSecret; ``collect`` answers
``pending`` with a hint code (outstandingTransaction, then userSign once the app has the order),
``complete`` with completionData.user (personalNumber, name), or ``failed`` (userCancel,
expiredTransaction, cancelled). Orders expire. In development and tests a simulator plays the user's app
(sign as a personal number, or cancel). A real adapter calls BankID's API with the RP certificate and
implements the same three methods.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import IdentityNumberError, mask, swedish_personal_number
from gateway.identity import rules
from gateway.identity.models import BankIdOrder
from kit.problems import Problem, invalid


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
        query = select(BankIdOrder).where(BankIdOrder.order_ref == order_ref)
        found = (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
        if found is None:
            raise Problem(400, "bankid-invalid-parameters", "no such orderRef (errorCode invalidParameters)")
        return found

    async def collect(self, session: AsyncSession, order_ref: uuid.UUID, now: datetime | None = None) -> dict[str, Any]:
        order = await self.order(session, order_ref)
        if order.status == "pending" and (now or datetime.now(UTC)) >= order.expires_at:
            order.status, order.hint_code = "failed", "expiredTransaction"
        answer: dict[str, Any] = {"orderRef": str(order.order_ref), "status": order.status}
        if order.status != "complete":
            answer["hintCode"] = order.hint_code
        else:
            answer["completionData"] = {"user": {"personalNumber": order.personal_number_masked, "name": order.name}}
        return answer

    async def cancel(self, session: AsyncSession, order_ref: uuid.UUID) -> dict[str, Any]:
        order = await self.order(session, order_ref)
        if order.status == "pending":
            order.status, order.hint_code = "failed", "cancelled"
        return {}

    def qr(self, order: BankIdOrder, now: datetime | None = None) -> str:
        seconds = int(((now or datetime.now(UTC)) - order.created_at).total_seconds())
        return rules.qr_data(order.qr_start_token, order.qr_start_secret, max(seconds, 0))

    # -- the simulator (development and tests): plays the user's BankID app --------------------------------
    async def simulate_sign(self, session: AsyncSession, order_ref: uuid.UUID, personal_number: str, name: str) -> None:
        try:
            number = swedish_personal_number(personal_number)
        except IdentityNumberError as exc:
            raise invalid(str(exc)) from exc
        order = await self.order(session, order_ref)
        if order.status != "pending":
            raise Problem(409, "bankid-order-finished", f"the order is {order.status}")
        order.status, order.hint_code, order.name = "complete", "", name
        order.personal_number_hmac = rules.identity_hmac(self.key, number)
        order.personal_number_masked = mask(number)

    async def simulate_cancel(self, session: AsyncSession, order_ref: uuid.UUID) -> None:
        order = await self.order(session, order_ref)
        if order.status == "pending":
            order.status, order.hint_code = "failed", "userCancel"
