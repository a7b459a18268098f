"""HTTP hardening every service (and the gateway) installs: a request body limit answered 413 before any
parsing, and the security headers on every response (issue 17, point 8); CORS for the configured origins
(``cors_origins``, issue #22), exposing the platform's own headers to the calling script.

Why ASGI middleware and not a FastAPI dependency: a dependency runs after FastAPI has read and parsed the
body, which is exactly the work a 20 MB body must not cause. The limit is checked on ``Content-Length``
first and then on the bytes actually received, so a chunked body without a length is cut off too.

Per-route limits: ``body_limits`` maps a path pattern (a regular expression searched in the path) to its
limit in bytes; the first match wins, else ``max_body_bytes``. Upload routes (logistics attachments and
activities, which carry base64 files inside JSON) declare theirs in their service's settings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

from kit import problems
from kit.openapi import EXPOSED_HEADERS

Scope = dict[str, Any]
Receive = Any
Send = Any

MIB = 1024 * 1024

#: Headers every response carries. Tokens and personal data must never sit in a shared or browser cache,
#: so ``Cache-Control: no-store`` is the default; a route that sets its own Cache-Control keeps it.
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"strict-transport-security", b"max-age=63072000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
)
_CACHE_CONTROL = (b"cache-control", b"no-store")


class BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` once the streamed body passes its limit. An HTTPException because FastAPI turns
    any other error while reading the body into a 400; kit's problem handler renders it as the 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large(limit).detail)


def limit_for(path: str, default: int, limits: Mapping[str, int]) -> int:
    """The body limit of ``path``: the first pattern of ``limits`` found in it, else ``default``."""
    for pattern, limit in limits.items():
        if re.search(pattern, path):
            return limit
    return default


def too_large(limit: int) -> problems.Problem:
    return problems.Problem(413, "payload-too-large", f"the request body is larger than {limit} bytes")


async def send_problem(send: Send, problem: problems.Problem) -> None:
    body = json.dumps(problem.body()).encode()
    await send({"type": "http.response.start", "status": problem.status, "headers": [
        (b"content-type", problems.MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode()),
    ]})
    await send({"type": "http.response.body", "body": body})


#: Bytes read and dropped before a 413 so the client, still sending, reads the answer instead of a reset.
DRAIN_BYTES = 64 * MIB


async def drain(receive: Receive) -> None:
    """Read and discard the rest of the body (never kept, never parsed), up to :data:`DRAIN_BYTES`."""
    dropped = 0
    while dropped < DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        dropped += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimitMiddleware:
    """413 problem+json when a request body is over its limit: at once on ``Content-Length``, else as soon
    as the received bytes pass it. The rest of the body is read and dropped first (bounded), never parsed."""

    def __init__(self, app: Any, *, max_body_bytes: int = MIB, body_limits: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.default = max_body_bytes
        self.limits = dict(body_limits or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"], self.default, self.limits)
        length = declared_length(scope)
        if length is not None and length > limit:
            await drain(receive)
            await send_problem(send, too_large(limit))
            return
        received = 0
        started = False

        async def counting_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await drain(receive)
                await send_problem(send, too_large(limit))


class SecurityHeadersMiddleware:
    """Adds :data:`SECURITY_HEADERS` and ``Cache-Control: no-store`` (unless set) to every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [header for header in SECURITY_HEADERS if header[0] not in present]
                if _CACHE_CONTROL[0] not in present:
                    headers.append(_CACHE_CONTROL)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


#: Request headers a browser script may send beyond the CORS-safelisted ones
CORS_REQUEST_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "X-Correlation-ID", "Accept-Language"]


def install(app: Any, settings: Any) -> None:
    """Both middlewares, outermost, with the limits of ``settings`` (``max_body_bytes``, ``body_limits``); CORS
    outside them when ``cors_origins`` names any (a preflight is answered before the body limit)."""
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes, body_limits=settings.body_limits)
    app.add_middleware(SecurityHeadersMiddleware)
    if origins := list(getattr(settings, "cors_origins", ())):
        app.add_middleware(CORSMiddleware, allow_origins=origins, allow_credentials=False,
                           allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                           allow_headers=CORS_REQUEST_HEADERS, expose_headers=EXPOSED_HEADERS, max_age=600)
