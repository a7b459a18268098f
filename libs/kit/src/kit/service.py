"""``Service``: one service assembled from its parts, the same way for all six.

    service = Service(
        settings=BookingSettings(),
        root=Path(__file__).resolve().parents[2],   # holds alembic.ini and migrations/
        routers=[calendar.routes.router],
        consumers=subscribers.consumers,
    )
    app = service.create_app           # uvicorn factory
    if __name__ == "__main__": service.main()

``python -m <service>`` serves HTTP and consumes events; ``python -m <service> relay`` runs the outbox
relay; ``python -m <service> migrate`` creates and migrates the database; ``python -m <service> dlq
list|replay [--limit N]`` looks at or replays its dead letters (kit.dlq); a service may add commands of
its own (``commands={"seed": …}``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request
from opentelemetry.sdk.trace.export import SpanExporter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from kit import (
    context,
    dlq,
    health,
    housekeeping,
    identity_routes,
    metrics,
    migrations,
    openapi,
    sessions,
    telemetry,
)
from kit import http as kit_http
from kit.auth import TokenVerifier
from kit.bus import Consumers, EventBus
from kit.changes import Changes
from kit.db import Database
from kit.problems import install_problem_handlers
from kit.relay import OutboxRelay, serve_health
from kit.settings import ConfigurationError, ServiceSettings

log = logging.getLogger("kit.service")

ReadyCheck = health.ReadyCheck
#: A long-running task of the service process (a sender loop, an expiry sweep): runs from startup until
#: ``stop`` is set at shutdown. Work that must happen once across replicas claims rows with
#: ``FOR UPDATE SKIP LOCKED`` or holds an advisory lock.
BackgroundTask = Callable[[FastAPI, asyncio.Event], Awaitable[None]]
#: Runs once at startup after ``app.state.db`` exists, before consumers start: put the service's own
#: resources (an adapter, a client) on ``app.state``; handlers reach them through ``kit.context.app_state``.
StartupHook = Callable[[FastAPI], Awaitable[None]]
#: Another port serving the same app next to ``http_port`` (the gateway's mutual-TLS port): given the
#: settings, the ``uvicorn.Config`` options of that port (``port``, ``ssl_*``, ``http``), or None when it is
#: off. The main port runs the lifespan; a listener starts once the main port is up and stops with it.
Listener = Callable[[Any], dict[str, Any] | None]


async def repeat(stop: asyncio.Event, interval_s: float, step: Callable[[], Awaitable[Any]], what: str) -> None:
    """The loop of a periodic background task: ``step()`` until ``stop`` is set. A step that did something
    (returned a truthy value) runs again at once; after one that found nothing to do, or failed (logged,
    tried again next time), the loop sleeps ``interval_s`` or until shutdown."""
    while not stop.is_set():
        try:
            if await step():
                continue
        except Exception:  # noqa: BLE001 - the database or a remote system may be back by the next round
            log.exception("%s failed", what)
        try:
            await asyncio.wait_for(stop.wait(), interval_s)
        except TimeoutError:
            pass


class Service:
    def __init__(
        self,
        settings: ServiceSettings,
        *,
        root: Path,
        routers: Sequence[APIRouter] = (),
        development_routers: Sequence[APIRouter] = (),
        consumers: Consumers | None = None,
        description: str = "",
        ready_checks: Sequence[ReadyCheck] = (),
        background: Sequence[BackgroundTask] = (),
        on_startup: Sequence[StartupHook] = (),
        commands: dict[str, Callable[[], Awaitable[None]]] | None = None,
        span_exporter: SpanExporter | None = None,
        listeners: Sequence[Listener] = (),
        docs_url: str | None = "/docs",
    ) -> None:
        self.settings = settings
        self.root = root
        self.routers = list(routers)
        #: Routes for development and tests only (the BankID simulator, /dev/mail): not even routed in
        #: production, so they answer 404 there whatever the request holds.
        self.development_routers = list(development_routers)
        self.consumers = consumers or Consumers()
        self.description = description
        self.ready_checks = list(ready_checks)
        self.background = list(background)
        self.on_startup = list(on_startup)
        self.commands = dict(commands or {})
        self.span_exporter = span_exporter
        self.listeners = list(listeners)
        #: FastAPI's Swagger UI over this service's own document; the gateway serves its own over the merged one
        self.docs_url = docs_url

    # -- HTTP + consumers -------------------------------------------------------------------------------
    def create_app(self) -> FastAPI:
        settings = self.settings
        settings.check()  # production with a development secret or an unnamed stub: refuse to start
        provider = telemetry.setup_tracing(settings, self.span_exporter)
        meters = metrics.setup_metrics(settings)

        @asynccontextmanager
        async def lifespan(app: FastAPI) -> AsyncIterator[None]:
            db = Database.from_settings(settings)
            telemetry.instrument_engine(db.engine, provider)
            app.state.db = db
            # LISTEN: past any pooler; waiting requests are answered as soon as shutdown begins
            app.state.changes = Changes(settings.session_database_url, app.state.shutting_down)
            for hook in self.on_startup:
                await hook(app)
            bus = EventBus(
                settings, db, self.consumers, middlewares=(telemetry.bus_middleware(provider),), state=app.state
            )
            app.state.bus = bus
            await bus.start()
            await app.state.health.check_once(app)  # the first round before the first request
            stop = asyncio.Event()
            background = [app.state.health.run, sessions.follow_ended_sessions, housekeeping.housekeeping,
                          *self.background]
            tasks = [asyncio.create_task(task(app, stop), name=task.__name__) for task in background]
            try:
                yield
            finally:
                app.state.shutting_down.set()  # already set by uvicorn's shutdown (GracefulServer); other hosts
                stop.set()
                if tasks:
                    _, pending = await asyncio.wait(tasks, timeout=10)
                    for task in pending:
                        task.cancel()
                await bus.stop()
                await app.state.changes.close()
                await db.dispose()
                log.info("%s stopped cleanly", settings.service_name)

        app = FastAPI(
            title=f"{settings.service_name} service",
            description=self.description,
            version="1.0.0",
            lifespan=lifespan,
            docs_url=self.docs_url,
        )
        app.state.settings = settings
        #: set as soon as shutdown begins: requests that wait (``?wait=``, kit.changes) are answered at once
        app.state.shutting_down = asyncio.Event()
        app.state.token_verifier = TokenVerifier(
            settings.jwt_public_key, issuer=settings.jwt_issuer, audience=settings.jwt_audience,
            jwks_url=settings.jwt_jwks_url, max_lifetime_s=settings.jwt_max_lifetime_s,
        )
        install_problem_handlers(app)
        app.state.health = health.Health([health.database_check, health.bus_check, health.keys_check,
                                          *self.ready_checks])
        app.include_router(health.health_router())
        app.include_router(metrics.metrics_router())
        app.include_router(identity_routes.router)
        for router in self.routers:
            app.include_router(router)
        if not settings.is_production:
            for router in self.development_routers:
                app.include_router(router)
        openapi.install(app, settings.service_name)
        app.add_middleware(CorrelationIdMiddleware)
        kit_http.install(app, settings)  # body limit before any parsing, security headers on every response
        telemetry.instrument_app(app, provider, meters)
        return app

    # -- relay ---------------------------------------------------------------------------------------
    async def run_relay(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        relay = OutboxRelay(self.settings)
        if not self.settings.relay_health_port:
            await relay.run(stop)
            return
        health = asyncio.create_task(serve_health(relay, self.settings.http_host, self.settings.relay_health_port, stop))
        try:
            await relay.run(stop)
        finally:
            stop.set()
            await health

    # -- CLI -----------------------------------------------------------------------------------------
    def main(self, argv: Sequence[str] | None = None) -> None:
        parser = argparse.ArgumentParser(prog=f"python -m {self.settings.service_name}")
        parser.add_argument("command", nargs="?", default="serve",
                            choices=["serve", "relay", "migrate", "dlq", *self.commands])
        parser.add_argument("arguments", nargs=argparse.REMAINDER, help="the command's own (dlq list|replay [--limit N])")
        args = parser.parse_args(argv)
        if args.arguments and args.command != "dlq":
            parser.error(f"unrecognized arguments: {' '.join(args.arguments)}")
        try:
            self.settings.check()
        except ConfigurationError as refused:
            print(f"{self.settings.service_name} refuses to start in production:", file=sys.stderr)
            for line in refused.problems:
                print(f"  {line}", file=sys.stderr)
            raise SystemExit(2) from None
        logging.basicConfig(
            level=self.settings.log_level.upper(),
            format=f"%(asctime)s %(levelname)s [{self.settings.service_name}] %(name)s: %(message)s",
        )
        if args.command == "migrate":
            asyncio.run(migrations.upgrade(self.root, self.settings.session_database_url,
                                           admin_url=self.settings.database_admin_url))
        elif args.command == "relay":
            asyncio.run(run_until_signalled(self.run_relay))
        elif args.command == "dlq":
            code = dlq.main(self.settings, list(self.consumers.bindings(self.settings)), args.arguments)
            if code:
                raise SystemExit(code)
        elif args.command in self.commands:
            asyncio.run(self.commands[args.command]())
        else:
            servers = self.servers(self.create_app())
            with asyncio.Runner(loop_factory=servers[0].config.get_loop_factory()) as runner:
                runner.run(serve(servers))

    def servers(self, app: FastAPI, *, host: str | None = None) -> list[Any]:
        """The uvicorn servers of ``app``: the main HTTP port (it runs the lifespan), then every listener
        that is on. uvicorn's own X-Forwarded-For handling is off: ``kit.net`` decides whom to believe."""
        common: dict[str, Any] = {"host": host or self.settings.http_host, "log_level": "warning", "access_log": False,
                                  "timeout_keep_alive": self.settings.http_keep_alive_s, "proxy_headers": False}
        stopping = app.state.shutting_down
        servers = [GracefulServer(uvicorn.Config(app, port=self.settings.http_port, lifespan="on", **common), stopping)]
        for listener in self.listeners:
            if options := listener(self.settings):
                servers.append(GracefulServer(uvicorn.Config(app, **{**common, "lifespan": "off", **options}), stopping))
        return servers


class GracefulServer(uvicorn.Server):
    """uvicorn's server that sets ``shutting_down`` the moment its shutdown begins (SIGTERM, Ctrl-C or
    ``should_exit``): uvicorn waits for open requests before the lifespan's shutdown, so requests that wait
    (``?wait=``) must learn of it here, or SIGTERM would wait for the longest of them."""

    def __init__(self, config: uvicorn.Config, shutting_down: asyncio.Event) -> None:
        super().__init__(config)
        self.shutting_down = shutting_down

    async def shutdown(self, sockets: list[Any] | None = None) -> None:
        self.shutting_down.set()
        await super().shutdown(sockets)


async def started(server: Any, task: asyncio.Task) -> None:
    """Await a uvicorn server's startup (its lifespan and its socket); raise what stopped it."""
    while not server.started:
        if task.done():
            task.result()  # raises the startup error
            raise RuntimeError("uvicorn stopped during startup")
        await asyncio.sleep(0.05)


async def serve(servers: Sequence[Any]) -> None:
    """Run uvicorn servers in this loop: the first until it has started (the app's lifespan has run), then
    the others; when one stops, all stop."""
    first = asyncio.create_task(servers[0].serve())
    await started(servers[0], first)
    tasks = [first, *(asyncio.create_task(server.serve()) for server in servers[1:])]
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    for server in servers:
        server.should_exit = True
    await asyncio.gather(*tasks)


async def run_until_signalled(run: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await run(stop)


# -- request plumbing ---------------------------------------------------------------------------------
def _request_db(request: Request) -> Database:
    return request.app.state.db


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with _request_db(request).transaction() as session:
        yield session


#: The request's unit of work: committed after the route returns and before the response is sent.
DbSession = Annotated[AsyncSession, Depends(_session, scope="function")]


class CorrelationIdMiddleware:
    """Takes ``X-Correlation-ID`` (or makes one), exposes it to the code and echoes it in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-correlation-id", b"").decode("latin-1")
        cid = context.parse_uuid(incoming) or uuid.uuid4()
        token = context.correlation_id.set(cid)

        async def send_with_header(message: Any) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-correlation-id", str(cid).encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        finally:
            context.correlation_id.reset(token)
