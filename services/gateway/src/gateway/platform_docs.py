"""The platform's one OpenAPI document (issue #22): ``GET /openapi/platform.json`` and ``/docs`` over it.

The gateway's own operations and every service's under its public paths (``/api/<service>/…``), merged by
``kit.openapi.merge`` from the documents the services serve now (``<service>/openapi.json``, fetched at once
and kept for a minute): what the document says is what the running services do, it cannot drift. A service
that cannot be asked makes the document a 503 problem rather than a document silently missing its part.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from gateway.routing import VERSION
from kit import openapi
from kit.problems import Problem

router = APIRouter()
PATH = "/openapi/platform.json"
CACHE_S = 60.0
DESCRIPTION = (
    "Every operation of the care platform, as a front-end calls it: through the gateway. Sign in with one of the "
    "`/identity/…` routes and send the access token as `Authorization: Bearer …`. Errors are problem details "
    "(`application/problem+json`, RFC 9457) whose `type` is stable; each operation lists the statuses and types "
    "it can answer. Every answer carries `X-Correlation-ID` (send your own to follow a request through the "
    "services). A POST that takes `Idempotency-Key` may be retried safely with the same key: the repeat gets the "
    f"first answer with `Idempotent-Replayed: true`. Versioning: `/api/<service>/…` is {VERSION} for good and "
    f"`/api/{VERSION}/<service>/…` names it explicitly; a breaking change comes as a new version beside it "
    "(README: Versioning)."
)


async def _service_document(session: aiohttp.ClientSession, name: str, base: str) -> dict[str, Any]:
    try:
        async with session.get(f"{base}/openapi.json", timeout=aiohttp.ClientTimeout(total=5.0)) as response:
            if response.status != 200:
                raise Problem(503, "service-unavailable", f"the {name} service's API document is not available",
                              service=name)
            return await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        raise Problem(503, "service-unavailable", f"the {name} service's API document cannot be fetched right now",
                      service=name) from exc


async def platform_document(request: Request) -> dict[str, Any]:
    state = request.app.state
    cached = getattr(state, "platform_document", None)
    if cached is not None and time.monotonic() - cached[0] < CACHE_S:
        return cached[1]
    services = state.settings.services
    documents = await asyncio.gather(*(_service_document(state.http, name, base) for name, base in services.items()))
    base_url = state.settings.public_url or str(request.base_url).rstrip("/")
    merged = openapi.merge(request.app.openapi(), dict(zip(services, documents, strict=True)),
                           servers=[{"url": base_url, "description": "the gateway"}], description=DESCRIPTION)
    state.platform_document = (time.monotonic(), merged)
    return merged


@router.get(PATH, include_in_schema=False)
async def platform(request: Request) -> JSONResponse:
    return JSONResponse(await platform_document(request))


@router.get("/docs", include_in_schema=False)
async def docs() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url=PATH, title="Care platform API")
