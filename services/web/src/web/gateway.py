"""The web app's only outside system: the gateway, over HTTP. The person's address goes along in
X-Forwarded-For so the gateway throttles per person, not per web app (it believes the header only from
an address in GATEWAY_TRUSTED_PROXIES: list the web app's there). A signed-in person's access token goes
along as the bearer token; the web app never reads or checks it (the gateway and the services do)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


class GatewayDown(Exception):
    """The gateway did not answer (a 503 page, never a 500)."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    #: the answer's JSON as it came (a list for the list routes)
    data: Any = field(default=None, compare=False)

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

    @property
    def items(self) -> list[Any]:
        """A list answer's items (or a page's ``items``); [] for anything else."""
        if isinstance(self.data, list):
            return self.data
        return list(self.body.get("items", [])) if isinstance(self.body.get("items"), list) else []


class Gateway:
    def __init__(self, base_url: str, timeout_s: float) -> None:
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s)

    async def request(self, method: str, path: str, *, client_ip: str, token: str | None = None,
                      json: Any = None, params: dict[str, Any] | None = None,
                      headers: dict[str, str] | None = None) -> Answer:
        sent = {"X-Forwarded-For": client_ip, **(headers or {})}
        if token:
            sent["Authorization"] = f"Bearer {token}"
        try:
            response = await self.client.request(method, path, json=json, params=params, headers=sent)
        except httpx.HTTPError as error:
            raise GatewayDown(str(error)) from error
        if response.status_code >= 500:
            raise GatewayDown(f"{method} {path} answered {response.status_code}")
        try:
            parsed = response.json() if response.content else None
        except ValueError:
            parsed = None
        return Answer(response.status_code, parsed if isinstance(parsed, dict) else {}, parsed)

    async def post(self, path: str, body: dict[str, Any], *, client_ip: str, token: str | None = None) -> Answer:
        return await self.request("POST", path, json=body, client_ip=client_ip, token=token)

    async def get(self, path: str, *, client_ip: str, token: str | None = None,
                  params: dict[str, Any] | None = None) -> Answer:
        return await self.request("GET", path, params=params, client_ip=client_ip, token=token)

    async def live(self) -> bool:
        try:
            return (await self.client.get("/health/live")).status_code == 200
        except httpx.HTTPError:
            return False

    async def close(self) -> None:
        await self.client.aclose()
