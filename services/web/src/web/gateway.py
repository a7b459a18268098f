"""The web app's only outside system: the gateway, over HTTP. The person's address goes along in
X-Forwarded-For so the gateway throttles per person, not per web app (it believes the header only from
an address in GATEWAY_TRUSTED_PROXIES: list the web app's there)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


class GatewayDown(Exception):
    """The gateway did not answer (a 503 page, never a 500)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def problem(self) -> str:
        """The problem's type slug (``reset-link-not-valid``), or ""."""
        return str(self.body.get("type", "")).removeprefix("/problems/")

    @property
    def detail(self) -> str:
        return str(self.body.get("detail", ""))


class Gateway:
    def __init__(self, base_url: str, timeout_s: float) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s)

    async def post(self, path: str, body: dict[str, Any], *, client_ip: str) -> Answer:
        try:
            response = await self.client.post(path, json=body, headers={"X-Forwarded-For": client_ip})
        except httpx.HTTPError as error:
            raise GatewayDown(str(error)) from error
        if response.status_code >= 500:
            raise GatewayDown(f"{path} answered {response.status_code}")
        try:
            parsed = response.json() if response.content else {}
        except ValueError:
            parsed = {}
        return Answer(response.status_code, parsed if isinstance(parsed, dict) else {})

    async def live(self) -> bool:
        try:
            return (await self.client.get("/health/live")).status_code == 200
        except httpx.HTTPError:
            return False

    async def close(self) -> None:
        await self.client.aclose()
