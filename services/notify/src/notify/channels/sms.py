"""SMS through a provider adapter chosen by settings.

- ``DevelopmentSms`` stores the message in notify's database (``GET /dev/sms`` lists them);
- ``HttpSms`` posts to a provider's REST API shaped like the common ones
  (``POST {sms_api_url}`` with a bearer token and ``{"from", "to", "message"}``, answering ``{"id"}``);
  4xx answers are permanent failures, 5xx and network errors temporary.
"""

from __future__ import annotations

from typing import Protocol

import httpx
from sqlalchemy import insert

from kit.db import Database
from notify.channels import Permanent, Temporary
from notify.models import DevSms
from notify.settings import Settings


class SmsProvider(Protocol):
    async def send(self, to: str, text: str) -> str: ...


class DevelopmentSms:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db, self.settings = db, settings

    async def send(self, to: str, text: str) -> str:
        async with self.db.transaction() as session:
            row = await session.execute(
                insert(DevSms).values(to_number=to, sender=self.settings.sms_sender, text=text).returning(DevSms.id)
            )
            return f"dev-sms-{row.scalar_one()}"


class HttpSms:
    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self.settings, self.client = settings, client

    async def send(self, to: str, text: str) -> str:
        try:
            response = await self.client.post(
                self.settings.sms_api_url,
                json={"from": self.settings.sms_sender, "to": to, "message": text},
                headers={"Authorization": f"Bearer {self.settings.sms_api_token.get_secret_value()}"},
                timeout=10.0,
            )
        except httpx.HTTPError as exc:
            raise Temporary(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise Temporary(f"provider answered {response.status_code}")
        if response.status_code >= 400:
            raise Permanent(f"provider refused the message: {response.status_code} {response.text[:200]}")
        return str(response.json().get("id", ""))


def sms_provider(settings: Settings, db: Database) -> SmsProvider:
    if settings.sms_provider == "http":
        return HttpSms(settings, httpx.AsyncClient())
    return DevelopmentSms(db, settings)
