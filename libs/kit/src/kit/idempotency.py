"""``Idempotency-Key`` for requests that move money or create bookings.

The first request with a key runs and its response is stored in the same transaction as its effects; a
repeat with the same key and the same body gets the stored response (``Idempotent-Replayed: true``)
without running again; the same key with a different body is a 422 problem. Two concurrent requests with
one key: the second waits on the key's row until the first commits, then replays its answer. A request
that fails stores nothing (its transaction rolls back), so a retry runs again.

    @router.post("/reservations", status_code=201)
    async def reserve(body: ReserveIn, session: DbSession, principal: CurrentPrincipal, key: IdempotencyKey = None):
        return await idempotent(session, key, scope=f"reserve:{principal.account_id}", request=body,
                                run=lambda: service.reserve(session, principal, body), status_code=201)
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kit.problems import Problem
from kit.schema import idempotency_keys

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=200, description="Makes a retry safe: same key, same answer"),
]


def fingerprint(request: BaseModel | dict[str, Any] | None) -> str:
    if isinstance(request, BaseModel):
        raw = request.model_dump_json()
    else:
        import json

        raw = json.dumps(jsonable_encoder(request), sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


async def idempotent(
    session: AsyncSession,
    key: str | None,
    *,
    scope: str,
    request: BaseModel | dict[str, Any] | None,
    run: Callable[[], Awaitable[Any]],
    status_code: int = 200,
) -> JSONResponse:
    """Run ``run()`` once per (scope, key); without a key it simply runs."""
    if key is None:
        return JSONResponse(jsonable_encoder(await run()), status_code=status_code)
    digest = fingerprint(request)
    claimed = (
        await session.execute(
            insert(idempotency_keys)
            .values(scope=scope, key=key, fingerprint=digest)
            .on_conflict_do_nothing()
            .returning(idempotency_keys.c.key)
        )
    ).first()
    if claimed is None:
        stored = (
            await session.execute(
                select(idempotency_keys).where(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)
            )
        ).one()
        if stored.fingerprint != digest:
            raise Problem(
                422, "idempotency-key-reused", "This Idempotency-Key was already used for a different request."
            )
        return JSONResponse(
            stored.response, status_code=stored.status_code, headers={"Idempotent-Replayed": "true"}
        )
    body = jsonable_encoder(await run())
    await session.execute(
        update(idempotency_keys)
        .where(idempotency_keys.c.scope == scope, idempotency_keys.c.key == key)
        .values(status_code=status_code, response=body)
    )
    return JSONResponse(body, status_code=status_code)
