"""Routing: ``/api/<service>/<path>`` is forwarded to that service, and the gateway's readiness
includes every service's.

The caller's bearer token goes along unchanged (each service verifies it itself), with the correlation
id and the W3C trace context. A service that is down or slow to accept gives a fast 503 problem, never a
hang; one that does not answer in time a 504, and one that breaks off the connection a 502. Hop-by-hop
headers are not forwarded.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from opentelemetry import propagate

from kit import context
from kit.problems import Problem, not_found

HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
    "transfer-encoding", "upgrade", "host", "content-length",
}

router = APIRouter(tags=["routing"])


async def open_client(app: FastAPI) -> None:
    """Startup hook: one pooled HTTP client for the gateway's life."""
    settings = app.state.settings
    app.state.http = httpx.AsyncClient(
        timeout=httpx.Timeout(settings.proxy_timeout_s, connect=settings.proxy_connect_timeout_s),
        limits=httpx.Limits(max_connections=200, max_keepalive_connections=50,
                            keepalive_expiry=settings.proxy_keepalive_s),
    )


async def close_client(app: FastAPI, stop: asyncio.Event) -> None:
    """Background task whose only job is to close the client at shutdown."""
    await stop.wait()
    await app.state.http.aclose()


def _forward_headers(request: Request) -> dict[str, str]:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
    if cid := context.correlation_id.get():
        headers["x-correlation-id"] = str(cid)
    propagate.inject(headers)
    headers["x-forwarded-for"] = request.client.host if request.client else ""
    return headers


@router.api_route("/api/{service}/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                  include_in_schema=False)
async def proxy(service: str, path: str, request: Request) -> Response:
    base = request.app.state.settings.services.get(service)
    if base is None:
        raise not_found("service", service)
    url = f"{base}/{path}"
    try:
        upstream = await request.app.state.http.request(
            request.method, url, params=request.query_params, content=await request.body(),
            headers=_forward_headers(request),
        )
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise Problem(503, "service-unavailable", f"the {service} service is not reachable right now",
                      service=service) from exc
    except httpx.TimeoutException as exc:
        raise Problem(504, "service-timeout", f"the {service} service did not answer in time", service=service) from exc
    except httpx.TransportError as exc:  # the connection broke after it was made: reset, closed mid-answer, garbled
        raise Problem(502, "bad-gateway", f"the {service} service broke off the connection without a proper answer",
                      service=service) from exc
    skip = HOP_BY_HOP | {"content-encoding", "x-correlation-id"}
    headers = {k: v for k, v in upstream.headers.items() if k.lower() not in skip}
    return Response(upstream.content, status_code=upstream.status_code, headers=headers)


async def services_ready(app: FastAPI) -> dict[str, Any]:
    """Ready check: every service's /health/ready, asked at once with a short timeout."""
    client: httpx.AsyncClient = app.state.http

    async def one(name: str, base: str) -> tuple[str, dict[str, Any]]:
        try:
            response = await client.get(f"{base}/health/ready", timeout=2.0)
            body = response.json()
            return name, {"status": "ready" if response.status_code == 200 else "not ready", "checks": body.get("checks", {})}
        except (httpx.HTTPError, ValueError) as exc:
            return name, {"status": "unreachable", "error": type(exc).__name__}

    results = await asyncio.gather(*(one(n, b) for n, b in app.state.settings.services.items()))
    return {"services": dict(results)}
