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

**A route whose ``run`` calls an outside system** (a payment provider that charges on its own side) also
passes ``recover``. The outside call commits on its own, so a process that dies after it and before the
request's commit would lose the stored answer while the effect stays; the retry would then run again and
answer something else (the payment is already captured: 409). With ``recover``:

- the attempt (scope, key, fingerprint, no answer yet) is recorded in a transaction of its own, committed
  *before* ``run``: a crash after the outside call cannot take it back, and a different body under the key
  stays a 422 after the crash too;
- requests with one key are serialised by a transaction-scoped advisory lock on (scope, key), held until
  the request's transaction ends: one attempt at a time reaches the outside system (a waiting request
  holds its connection meanwhile, as the row lock of the plain form does);
- the holder of the lock finds either a stored answer (replayed), or an attempt without one (an earlier
  attempt died or failed after its outside call): then ``recover()`` derives the answer from the state as
  it is now (the outside system's effect included), replayed and stored; ``None`` from ``recover`` means
  the effect never happened, and ``run`` runs;
- a 4xx problem from ``run`` or ``recover`` means nothing happened: the attempt is released (deleted), so
  the key may be used again as without ``recover``. A 5xx or a crash leaves it: the outcome is unknown.

    return await idempotent(session, key, scope=f"pay:{principal.account_id}:{payment_id}", request=body,
                            run=pay, recover=resume_pay, status_code=202)
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from kit.problems import Problem
from kit.schema import idempotency_keys

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=200, description="Makes a retry safe: same key, same answer"),
]

REPLAYED = {"Idempotent-Replayed": "true"}


def fingerprint(request: BaseModel | dict[str, Any] | None) -> str:
    if isinstance(request, BaseModel):
        raw = request.model_dump_json()
    else:
        import json

        raw = json.dumps(jsonable_encoder(request), sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()


def _reused() -> Problem:
    return Problem(422, "idempotency-key-reused", "This Idempotency-Key was already used for a different request.")


def _row(scope: str, key: str) -> Any:
    return (idempotency_keys.c.scope == scope) & (idempotency_keys.c.key == key)


async def idempotent(
    session: AsyncSession,
    key: str | None,
    *,
    scope: str,
    request: BaseModel | dict[str, Any] | None,
    run: Callable[[], Awaitable[Any]],
    status_code: int = 200,
    recover: Callable[[], Awaitable[Any | None]] | None = None,
) -> JSONResponse:
    """Run ``run()`` once per (scope, key); without a key it simply runs. ``recover``: see the module."""
    if key is None:
        return JSONResponse(jsonable_encoder(await run()), status_code=status_code)
    digest = fingerprint(request)
    if recover is not None:
        return await _attempt(session, key, scope=scope, digest=digest, run=run, recover=recover,
                              status_code=status_code)
    claimed = (
        await session.execute(
            insert(idempotency_keys)
            .values(scope=scope, key=key, fingerprint=digest)
            .on_conflict_do_nothing()
            .returning(idempotency_keys.c.key)
        )
    ).first()
    if claimed is None:
        stored = (await session.execute(select(idempotency_keys).where(_row(scope, key)))).one()
        if stored.fingerprint != digest:
            raise _reused()
        return JSONResponse(stored.response, status_code=stored.status_code, headers=REPLAYED)
    body = jsonable_encoder(await run())
    await session.execute(update(idempotency_keys).where(_row(scope, key)).values(status_code=status_code, response=body))
    return JSONResponse(body, status_code=status_code)


async def _claim(session: AsyncSession, scope: str, key: str, digest: str) -> tuple[bool, Any]:
    """Record the attempt in a transaction of its own (committed now, whatever happens to the request's):
    (whether this call recorded it, the key's row)."""
    async with AsyncSession(session.bind) as own, own.begin():
        claimed = (
            await own.execute(
                insert(idempotency_keys).values(scope=scope, key=key, fingerprint=digest)
                .on_conflict_do_nothing().returning(idempotency_keys.c.key)
            )
        ).first()
        stored = (await own.execute(select(idempotency_keys).where(_row(scope, key)))).one()
    return claimed is not None, stored


async def _release(session: AsyncSession, scope: str, key: str) -> None:
    """Forget an attempt that changed nothing (it ended in a 4xx problem), unless an answer was stored."""
    async with AsyncSession(session.bind) as own, own.begin():
        await own.execute(delete(idempotency_keys).where(_row(scope, key), idempotency_keys.c.response.is_(None)))


async def _attempt(
    session: AsyncSession,
    key: str,
    *,
    scope: str,
    digest: str,
    run: Callable[[], Awaitable[Any]],
    recover: Callable[[], Awaitable[Any | None]],
    status_code: int,
) -> JSONResponse:
    """``idempotent`` for a ``run`` that calls an outside system (see the module)."""
    mine, stored = await _claim(session, scope, key, digest)
    if stored.fingerprint != digest:
        raise _reused()
    if stored.response is not None:
        return JSONResponse(stored.response, status_code=stored.status_code, headers=REPLAYED)
    # one attempt per key at a time, until this request's transaction ends (its outside call included)
    await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(f"idempotency:{scope}:{key}", 0))))
    stored = (await session.execute(select(idempotency_keys).where(_row(scope, key)))).one_or_none()
    if stored is None:  # a concurrent attempt failed and released the key meanwhile: this one starts afresh
        mine, stored = await _claim(session, scope, key, digest)
    if stored.fingerprint != digest:
        raise _reused()
    if stored.response is not None:  # a concurrent attempt finished while this one waited
        return JSONResponse(stored.response, status_code=stored.status_code, headers=REPLAYED)
    try:
        recovered = None if mine else await recover()
        if recovered is not None:
            body, headers = jsonable_encoder(recovered), REPLAYED
        else:
            body, headers = jsonable_encoder(await run()), {}
    except Problem as problem:
        if problem.status < 500:
            await _release(session, scope, key)
        raise
    await session.execute(update(idempotency_keys).where(_row(scope, key)).values(status_code=status_code, response=body))
    return JSONResponse(body, status_code=status_code, headers=headers)
