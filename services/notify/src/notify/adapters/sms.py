"""The SMS provider, chosen by NOTIFY_SMS_PROVIDER (NT-1, NT-2).

- ``stub`` (``SmsStub``): stores the message in notify's database instead of sending it (``GET /dev/sms``
  lists them in development);
- ``http`` (``HttpSms``): a provider's REST API shaped like the common ones: ``POST {NOTIFY_SMS_API_URL}``
  with ``Authorization: Bearer {NOTIFY_SMS_API_TOKEN}`` and ``{"from", "to", "message", "reference"}``,
  answering ``{"id"}``. Every request carries the message's id as ``Idempotency-Key`` (and ``reference``),
  so a retry after a timeout cannot send the SMS twice: that is what makes retrying it safe. 4xx answers
  are permanent failures; 5xx, timeouts and unreachable are temporary.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import insert

from kit.adapters import HttpApi, OutsideSystemError
from kit.db import Database
from notify.adapters import Permanent, Temporary
from notify.models import DevSms
from notify.settings import Settings


class SmsProvider(Protocol):
    async def send(self, to: str, text: str, message_id: str) -> str: ...


class SmsStub:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db, self.settings = db, settings

    async def send(self, to: str, text: str, message_id: str) -> str:
        async with self.db.transaction() as session:
            row = await session.execute(
                insert(DevSms).values(to_number=to, sender=self.settings.sms_sender, text=text).returning(DevSms.id)
            )
            return f"dev-sms-{row.scalar_one()}"


class HttpSms:
    def __init__(self, settings: Settings) -> None:
        self.sender, self.url = settings.sms_sender, settings.sms_api_url
        self.api = HttpApi("sms-provider", settings.sms_api_url, timeout_s=settings.sms_timeout_s,
                           attempts=settings.sms_attempts,
                           headers={"Authorization": f"Bearer {settings.sms_api_token.get_secret_value()}"})

    async def send(self, to: str, text: str, message_id: str) -> str:
        try:
            response = await self.api.request("POST", self.url, headers={"Idempotency-Key": message_id},
                                              json={"from": self.sender, "to": to, "message": text,
                                                    "reference": message_id})
        except OutsideSystemError as exc:
            raise Temporary(exc.detail) from exc
        if response.status_code >= 500:
            raise Temporary(f"the SMS provider answered {response.status_code}")
        if response.status_code >= 400:
            raise Permanent(f"the SMS provider refused the message ({response.status_code})")
        try:
            return str(response.json()["id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise Temporary("the SMS provider's answer has no message id") from exc

    async def close(self) -> None:
        await self.api.close()


def sms_provider(settings: Settings, db: Database) -> SmsProvider:
    if settings.sms_provider == "http":
        return HttpSms(settings)
    return SmsStub(db, settings)
