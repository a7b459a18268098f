"""kit.http over real HTTP (uvicorn): a body over its limit is a 413 problem before any parsing, by
Content-Length and by streamed bytes; an upload route takes its larger limit; a 422 lists a bounded
number of errors; every response carries the security headers."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from kit import http as kit_http
from kit.problems import MAX_ERRORS, install_problem_handlers
from kit.testing import fake_api

MIB = 1024 * 1024


class Item(BaseModel):
    n: int


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/items")
    async def items(body: list[Item]) -> dict:
        return {"count": len(body)}

    @app.post("/files/attachments")
    async def upload(body: dict) -> dict:
        return {"size": len(body["content"])}

    kit_http.install(app, SimpleNamespace(max_body_bytes=MIB, body_limits={r"/attachments$": 8 * MIB}))
    return app


async def test_limits_headers_and_bounded_errors():
    async with fake_api(_app()) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        big = b'{"x": "' + b"a" * (5 * MIB) + b'"}'
        refused = await client.post("/items", content=big, headers={"content-type": "application/json"})
        assert refused.status_code == 413
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "/problems/payload-too-large"
        assert refused.headers["x-content-type-options"] == "nosniff"

        async def chunks():  # no Content-Length: chunked transfer encoding
            for _ in range(5):
                yield b"a" * MIB

        chunked = await client.post("/items", content=chunks(), headers={"content-type": "application/json"})
        assert chunked.status_code == 413 and chunked.json()["type"] == "/problems/payload-too-large"

        upload = await client.post("/files/attachments", json={"content": "a" * (5 * MIB)})
        assert upload.status_code == 200 and upload.json() == {"size": 5 * MIB}

        many = await client.post("/items", json=[{"n": "x"}] * 500)
        assert many.status_code == 422
        assert len(many.json()["errors"]) == MAX_ERRORS and many.json()["more_errors"] == 500 - MAX_ERRORS
        assert len(many.content) < 10_000

        ok = await client.post("/items", json=[{"n": 1}])
        assert ok.status_code == 200
        for name, value in {"strict-transport-security": "max-age=63072000; includeSubDomains",
                            "x-content-type-options": "nosniff", "referrer-policy": "no-referrer",
                            "x-frame-options": "DENY", "cache-control": "no-store"}.items():
            assert ok.headers[name] == value
        assert "frame-ancestors 'none'" in ok.headers["content-security-policy"]
