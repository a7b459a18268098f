"""Outside systems (BankID, the registers, the payment provider, the bank, SMS, SMTP) behind adapters.

Every outside system lives in ``services/<svc>/src/<svc>/adapters/<system>.py`` as

- a ``Protocol`` that the use cases depend on,
- the development stub, shaped like the real API (same fields, same error codes),
- the production adapter, built on :class:`HttpApi`: HTTP with timeouts and tenacity retries against a
  configurable base URL, tested against a small local fake of the real API (``kit.testing.fake_api``).

Which one runs is a setting typed ``kit.settings.adapter(...)``; in production the stub runs only when it
is named explicitly, and readiness lists the stubs (``kit.settings.ServiceSettings.stubs``).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from kit.problems import Problem

log = logging.getLogger("kit.adapters")

#: Answers worth another try: the system is busy or briefly down. A 4xx is final.
RETRY_STATUSES = frozenset({408, 429, 502, 503, 504})


class OutsideSystemError(Problem):
    """The outside system could not be reached or answered something we cannot use: a 503 problem for
    the caller (``<system>-unavailable``), never a 500 and never the system's own text."""

    def __init__(self, system: str, detail: str) -> None:
        super().__init__(503, f"{system}-unavailable", detail, system=system)


class _Retry(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, _Retry | httpx.TransportError)


class HttpApi:
    """One outside HTTP API: a pooled client with a base URL, timeouts, and retries of transient failures
    (connection errors, timeouts, 408/429/502/503/504) with exponential back-off and jitter.

    ``idempotent=False`` on a request that must not be sent twice (a payment without an idempotency key):
    then only failures to connect are retried, since those never reached the system.
    """

    def __init__(self, system: str, base_url: str, *, timeout_s: float = 5.0, attempts: int = 3,
                 headers: dict[str, str] | None = None, cert: tuple[str, str] | None = None,
                 verify: str | bool = True, transport: httpx.AsyncBaseTransport | None = None) -> None:
        if not base_url:
            raise ValueError(f"{system}: the base URL is not set")
        self.system = system
        self.attempts = attempts
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s, headers=headers, cert=cert,
                                        verify=verify, transport=transport)

    async def request(self, method: str, path: str, *, idempotent: bool = True, **kwargs: Any) -> httpx.Response:
        """The answer of a request (any status but the transient ones, which are retried first); raises
        :class:`OutsideSystemError` when the system stays unreachable."""

        def retryable(exc: BaseException) -> bool:
            if idempotent:
                return _transient(exc)
            return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)

        try:
            async for attempt in AsyncRetrying(stop=stop_after_attempt(self.attempts),
                                               wait=wait_exponential_jitter(multiplier=0.1, max=2.0, jitter=0.1),
                                               retry=retry_if_exception(retryable), reraise=True):
                with attempt:
                    response = await self.client.request(method, path, **kwargs)
                    if response.status_code in RETRY_STATUSES:
                        raise _Retry(response)
                    return response
        except _Retry as exc:
            log.warning("%s answered %s %s with %s", self.system, method, path, exc.response.status_code)
            raise OutsideSystemError(self.system, f"{self.system} is busy or down right now; try again later") from exc
        except httpx.HTTPError as exc:
            log.warning("%s: %s %s failed: %s", self.system, method, path, type(exc).__name__)
            raise OutsideSystemError(self.system, f"{self.system} cannot be reached right now; try again later") from exc
        raise AssertionError("unreachable")  # pragma: no cover - AsyncRetrying either returns or raises

    async def json(self, method: str, path: str, *, idempotent: bool = True, **kwargs: Any) -> Any:
        """The JSON body of a 2xx answer; any other answer is an :class:`OutsideSystemError`."""
        response = await self.request(method, path, idempotent=idempotent, **kwargs)
        if not response.is_success:
            log.warning("%s answered %s %s with %s", self.system, method, path, response.status_code)
            raise OutsideSystemError(self.system, f"{self.system} refused the request ({response.status_code})")
        try:
            return response.json()
        except ValueError as exc:
            raise OutsideSystemError(self.system, f"{self.system} answered with something that is not JSON") from exc

    async def close(self) -> None:
        await self.client.aclose()
