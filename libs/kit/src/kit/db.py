"""Async SQLAlchemy engine, sessions and the unit of work.

One transaction per use case. A session is committed in exactly one place: ``Database.transaction()``
(used by the HTTP dependency ``Database.session`` and by every consumer). Helpers never commit.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import asyncpg
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from kit.settings import ServiceSettings

if TYPE_CHECKING:
    from kit.problems import Problem


M = TypeVar("M")


async def one_or_404(session: AsyncSession, model: type[M], key: Any, what: str, *, lock: bool = False,
                     visible: Callable[[M], bool] | None = None) -> M:
    """The ``model`` row whose ``id`` is ``key`` (locked ``FOR UPDATE`` if asked), or a 404 problem naming
    ``what``. A row the caller may not see (``visible`` says no) is not found too, never forbidden: its
    existence is nobody else's business."""
    from kit.problems import not_found

    query = select(model).where(model.id == key)  # type: ignore[attr-defined]
    row = (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if row is None or (visible is not None and not visible(row)):
        raise not_found(what, key)
    return row


def contains(text_: str) -> str:
    """A LIKE/ILIKE pattern that finds ``text_`` anywhere, its own ``%``, ``_`` and ``\\`` taken literally
    (backslash is PostgreSQL's default LIKE escape)."""
    return "%" + text_.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def flush_guarded(session: AsyncSession, conflicts: Mapping[str, Problem], statement: Any = None) -> None:
    """Execute ``statement`` (if any) and flush inside a savepoint; when the database refuses it on one of
    the named constraints (unique, exclusion, check, or a trigger raising with that constraint name), raise
    that constraint's problem instead. The use case's transaction stays usable; other violations re-raise."""
    try:
        async with session.begin_nested():
            if statement is not None:
                await session.execute(statement)
            await session.flush()
    except IntegrityError as exc:
        name = getattr(getattr(exc.orig, "__cause__", None), "constraint_name", None) or ""
        message = str(exc.orig)
        for constraint, problem in conflicts.items():
            if constraint == name or constraint in message:
                raise problem from exc
        raise


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4()}__"


#: too_many_connections, cannot_connect_now (starting or shutting down), admin_shutdown: busy, not broken
BUSY_SQLSTATES = {"53300", "57P03", "57P01"}


def database_unavailable(exc: BaseException) -> bool:
    """The database is away or has no connection to give (a restart, a dropped connection, a full pool),
    rather than the work being wrong: worth waiting for, and an HTTP 503, not a 500."""
    if isinstance(exc, PoolTimeout | ConnectionError | asyncpg.PostgresConnectionError | asyncpg.InterfaceError):
        return True
    if isinstance(exc, DBAPIError):
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(getattr(exc.orig, "__cause__", None), "sqlstate", None)
        return bool(exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError) or sqlstate in BUSY_SQLSTATES)
    return isinstance(exc, asyncpg.PostgresError) and getattr(exc, "sqlstate", None) in BUSY_SQLSTATES


def plain_dsn(url: str) -> str:
    """``postgresql+asyncpg://…`` → ``postgresql://…`` for raw asyncpg connections."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


class Database:
    def __init__(self, url: str, *, pool_size: int = 5, max_overflow: int = 5, pool_timeout_s: float = 5.0,
                 pool_recycle_s: float = 300.0, pgbouncer: bool = False) -> None:
        self.url = url
        # Behind PgBouncer in transaction mode a server connection serves another client after each
        # transaction: no statement cache (asyncpg's nor SQLAlchemy's) and a unique name per statement, so
        # one never meets another's "__asyncpg_stmt_1__"
        connect_args: dict = {"statement_cache_size": 0, "prepared_statement_cache_size": 0,
                              "prepared_statement_name_func": _unique_statement_name} if pgbouncer else {}
        # No ping before every checkout (a round trip per transaction, ~12 % of a consumer's time): a
        # connection the database dropped fails once, is discarded, and the work is retried (consumers)
        # or answered 503 (HTTP, see kit.problems).
        self.engine: AsyncEngine = create_async_engine(
            url, pool_size=pool_size, max_overflow=max_overflow, pool_pre_ping=False, pool_recycle=pool_recycle_s,
            pool_timeout=pool_timeout_s, connect_args=connect_args,
        )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> Database:
        return cls(
            settings.database_url,
            pool_size=settings.database_pool_size,
            max_overflow=settings.database_max_overflow,
            pool_timeout_s=settings.database_pool_timeout_s,
            pool_recycle_s=settings.database_pool_recycle_s,
            pgbouncer=settings.database_pgbouncer,
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """The unit of work: commits when the block ends normally, rolls back on any exception.

        Written out rather than ``async with sessions() as s, s.begin()``: each of SQLAlchemy's async calls
        runs in a greenlet of its own, and that form costs two more per transaction (the explicit begin,
        which the first statement does anyway, and the close after the commit has already returned the
        connection) — ~8 % of a consumer's CPU per message (bench/README.md)."""
        session = self.sessions()
        try:
            yield session
            await session.commit()
        except BaseException:
            await asyncio.shield(session.close())  # rolls back and returns the connection, even when cancelled
            raise
        if session.in_transaction():  # something began another transaction after ours: close it as before
            await asyncio.shield(session.close())
        else:
            session.expunge_all()  # all that close() does once the commit has returned the connection

    async def session(self) -> AsyncIterator[AsyncSession]:
        """FastAPI dependency: one transaction per request, committed after the handler returns."""
        async with self.transaction() as session:
            yield session

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - any failure means "not reachable"
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()
