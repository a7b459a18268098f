"""Routing: ``/api/<service>/<path>`` (and its versioned form ``/api/v1/<service>/<path>``, README: Versioning)
is forwarded to that service, and the gateway's readiness includes every service's.

The caller's bearer token goes along unchanged (each service verifies it itself), with the correlation
id and the W3C trace context. A service that is down or slow to accept gives a fast 503 problem, never a
hang; one that does not answer in time a 504, and one that breaks off the connection a 502. A long poll
(``GET …?wait=``) still open when the gateway begins shutting down is asked again without ``wait``, so it is
answered at once. Hop-by-hop headers are not forwarded; bodies pass through as they are (not decoded, never redirected); request bodies are streamed
to the service within the body limit of kit.http (413 before forwarding when Content-Length is over, cut off when
the streamed bytes pass it), and ``/api/<service>/dev/...`` is never forwarded.

The client is aiohttp's: every front-end request crosses it, and httpx's connection pool spent a third of
the gateway's time checking each pooled connection on every request (bench/README.md).
"""

from __future__ import annotations

import asyncio
import posixpath
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from opentelemetry import propagate
from yarl import URL

from kit import context
from kit.changes import unless_shutting_down
from kit.http import BodyTooLarge, limit_for, too_large
from kit.net import client_ip
from kit.problems import Problem, not_found

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
    "transfer-encoding", "upgrade", "host", "content-length",
}

router = APIRouter(tags=["routing"])


def is_development_path(path: str) -> bool:
    """``/api/<service>/dev/...`` is never forwarded, in any mode: the development sinks (/dev/sms, /dev/mail,
    the BankID simulator) hold every login code and temporary password. Judged on the decoded path with
    ``.`` and ``..`` resolved, so ``./dev`` or ``x/../dev`` or ``DEV`` do not slip past."""
    segments = [s for s in posixpath.normpath("/" + path).split("/") if s]
    return bool(segments) and segments[0].lower() == "dev"


async def open_client(app: FastAPI) -> None:
    """Startup hook: one pooled HTTP client for the gateway's life."""
    settings = app.state.settings
    app.state.http = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=200, keepalive_timeout=settings.proxy_keepalive_s),
        timeout=aiohttp.ClientTimeout(total=settings.proxy_timeout_s, sock_connect=settings.proxy_connect_timeout_s),
        auto_decompress=False,
        skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
    )


async def close_client(app: FastAPI, stop: asyncio.Event) -> None:
    """Background task whose only job is to close the client at shutdown."""
    await stop.wait()
    await app.state.http.close()


def _forward_headers(request: Request) -> dict[str, str]:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
    if cid := context.correlation_id.get():
        headers["x-correlation-id"] = str(cid)
    propagate.inject(headers)
    headers["x-forwarded-for"] = client_ip(request, request.app.state.settings.trusted_proxies)
    return headers


#: The API version the gateway serves; ``/api/<service>/…`` is this version for good (README: Versioning)
VERSION = "v1"
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@router.api_route(f"/api/{VERSION}/{{service}}/{{path:path}}", methods=_METHODS, include_in_schema=False)
async def proxy_versioned(service: str, path: str, request: Request) -> Response:
    return await forward(service, path, request, prefix_segments=3)


@router.api_route("/api/{service}/{path:path}", methods=_METHODS, include_in_schema=False)
async def proxy(service: str, path: str, request: Request) -> Response:
    if re.fullmatch(r"v[0-9]+", service):
        raise Problem(404, "unknown-version", f"API version {service} does not exist; this gateway serves {VERSION}",
                      version=service)
    return await forward(service, path, request, prefix_segments=2)


async def forward(service: str, path: str, request: Request, *, prefix_segments: int) -> Response:
    """``request`` to ``service``'s ``path``; the public path's first ``prefix_segments`` (``api/<service>`` or
    ``api/v1/<service>``) are dropped."""
    base = request.app.state.settings.services.get(service)
    if base is None:
        raise not_found("service", service)
    if is_development_path(path):
        raise Problem(404, "not-found", "there is no such route")
    # the path and query exactly as the caller encoded them: /api/<service>/<rest>?<query> → <base>/<rest>?<query>
    raw_path = (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1")
    query = request.url.query
    rest = raw_path.split("/", prefix_segments + 1)[prefix_segments + 1]
    url = URL(f"{base}/{rest}" + (f"?{query}" if query else ""), encoded=True)
    session: aiohttp.ClientSession = request.app.state.http
    headers = _forward_headers(request)
    over = False

    async def body() -> AsyncIterator[bytes]:
        # streamed, never held whole; kit.http's BodyLimitMiddleware raises once the received bytes pass the limit
        nonlocal over
        try:
            async for chunk in request.stream():
                if chunk:
                    yield chunk
        except BodyTooLarge:
            over = True
            raise

    length = request.headers.get("content-length")
    if length is not None:
        headers["content-length"] = length  # so the service gets a length, not a chunked body
    has_body = (length is not None and length != "0") or "chunked" in request.headers.get("transfer-encoding", "")

    async def forward(target: URL) -> tuple[aiohttp.ClientResponse, bytes]:
        async with session.request(request.method, target, data=body() if has_body else None,
                                   headers=headers, allow_redirects=False) as upstream:
            return upstream, await upstream.read()

    try:
        answer = None
        if request.method == "GET" and "wait" in request.query_params:
            # a long poll: once the gateway begins shutting down, the service is asked again without waiting,
            # so the caller gets the current state at once and the gateway stops within its grace period
            answer = await unless_shutting_down(request.app.state.shutting_down, forward(url))
            url = url.without_query_params("wait")
        upstream, payload = answer or await forward(url)
    except BodyTooLarge:
        raise too_large(limit_for(request.url.path, request.app.state.settings.max_body_bytes,
                                  request.app.state.settings.body_limits)) from None
    except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
        unavailable = Problem(503, "service-unavailable", f"the {service} service is not reachable right now",
                              service=service)
        unavailable.headers["Retry-After"] = "1"  # a restarting service is back within seconds
        raise unavailable from exc
    except TimeoutError as exc:
        raise Problem(504, "service-timeout", f"the {service} service did not answer in time", service=service) from exc
    except aiohttp.ClientError as exc:  # the connection broke after it was made: reset, closed mid-answer, garbled
        if over:
            raise too_large(limit_for(request.url.path, request.app.state.settings.max_body_bytes,
                                      request.app.state.settings.body_limits)) from None
        raise Problem(502, "bad-gateway", f"the {service} service broke off the connection without a proper answer",
                      service=service) from exc
    skip = HOP_BY_HOP | {"x-correlation-id"}
    response = Response(payload, status_code=upstream.status)
    for name, value in upstream.headers.items():  # repeated headers (Set-Cookie) stay repeated
        if name.lower() not in skip:
            response.raw_headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    return response


@router.get("/health/services", tags=["health"])
async def services_health(request: Request) -> JSONResponse:
    """Every service's readiness, asked at once with a short timeout: 200 when all are ready. For people and
    the local runner; the gateway's own ``/health/ready`` does not depend on it, so one unready service does
    not take the front door (and the keys every service fetches from it) out of rotation."""
    session: aiohttp.ClientSession = request.app.state.http

    async def one(name: str, base: str) -> tuple[str, dict[str, Any]]:
        try:
            async with session.get(f"{base}/health/ready", timeout=aiohttp.ClientTimeout(total=2.0)) as response:
                body = await response.json(content_type=None)
            return name, {"status": "ready" if response.status == 200 else "not ready", "checks": body.get("checks", {})}
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            return name, {"status": "unreachable", "error": type(exc).__name__}

    results = dict(await asyncio.gather(*(one(n, b) for n, b in request.app.state.settings.services.items())))
    ok = all(r["status"] == "ready" for r in results.values())
    return JSONResponse({"status": "ready" if ok else "not ready", "services": results}, status_code=200 if ok else 503)
