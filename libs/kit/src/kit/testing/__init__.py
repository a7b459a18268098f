"""pytest fixtures for real PostgreSQL and RabbitMQ, registered by the root conftest (``pytest_plugins``).

Servers come from the environment (``TEST_POSTGRES_URL``, ``TEST_AMQP_URL``; defaults 127.0.0.1:5432 and
127.0.0.1:5672), else from testcontainers where Docker runs, else the run fails with a message that says
what to start. Nothing is mocked and nothing skips.

Isolation: every run has an id; each service's database is ``<service>_<run id>`` and the exchange and
queues carry the run id, so parallel or earlier runs never see each other's data. All of it is dropped
when the session ends.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aio_pika
import asyncpg
import httpx
import pytest

from kit.db import plain_dsn
from kit.migrations import drop_database
from kit.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)
T = TypeVar("T")

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"


@dataclass
class Servers:
    postgres_url: str  # admin DSN (database "postgres"), plain asyncpg form
    amqp_url: str
    _containers: list[Any] = field(default_factory=list)

    def database_url(self, name: str) -> str:
        parts = urlsplit(self.postgres_url)
        return f"postgresql+asyncpg://{parts.netloc}/{name}"


def _reachable(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


def _docker_available() -> bool:
    return shutil.which("docker") is not None and (
        os.path.exists("/var/run/docker.sock") or bool(os.environ.get("DOCKER_HOST"))
    )


def find_servers() -> Servers:
    pg = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    amqp = os.environ.get("TEST_AMQP_URL", DEFAULT_AMQP)
    servers = Servers(pg, amqp)
    missing = [n for n, u, p in (("PostgreSQL", pg, 5432), ("RabbitMQ", amqp, 5672)) if not _reachable(u, p)]
    if not missing:
        return servers
    if not _docker_available():
        pytest.fail(
            f"{' and '.join(missing)} not reachable ({pg}, {amqp}) and no Docker engine for testcontainers. "
            "Start them (`make services-up` runs the commands in ARCHITECTURE.md) or set "
            "TEST_POSTGRES_URL / TEST_AMQP_URL.",
            pytrace=False,
        )
    if "PostgreSQL" in missing:  # pragma: no cover - only where Docker runs
        from testcontainers.postgres import PostgresContainer

        container = PostgresContainer("postgres:15", driver=None).start()
        servers._containers.append(container)
        servers.postgres_url = container.get_connection_url().replace("/test", "/postgres")
    if "RabbitMQ" in missing:  # pragma: no cover - only where Docker runs
        from testcontainers.rabbitmq import RabbitMqContainer

        container = RabbitMqContainer("rabbitmq:4.1-management").start()
        servers._containers.append(container)
        params = container.get_connection_params()
        servers.amqp_url = f"amqp://guest:guest@{params.host}:{params.port}/"
    return servers


@pytest.fixture(scope="session")
def servers() -> Any:
    found = find_servers()
    yield found
    for container in found._containers:  # pragma: no cover
        container.stop()


@pytest.fixture(scope="session")
def run_id() -> str:
    return "t" + uuid.uuid4().hex[:8]


class RunEnvironment:
    """Makes settings for this run and removes everything they created when the session ends."""

    def __init__(self, servers: Servers, run_id: str) -> None:
        self.servers = servers
        self.run_id = run_id
        self.exchange = f"events.{run_id}"
        self.queue_prefix = f"{run_id}."
        self.databases: set[str] = set()
        self.queues: set[str] = set()
        self._tokens: Any = None

    @property
    def tokens(self) -> Any:
        """The run's token issuer (kit.testing.tokens.TokenIssuer): its public key is every service's key
        unless a test gives another, or a JWKS URL to fetch the gateway's from."""
        if self._tokens is None:
            from kit.testing.tokens import TokenIssuer

            self._tokens = TokenIssuer()
        return self._tokens

    def settings(self, cls: type[S], *, database: str | None = None, **overrides: Any) -> S:
        """``cls`` pointed at this run's database, exchange and queues."""
        service = overrides.pop("service_name", None) or cls.model_fields["service_name"].default
        database_url = self.servers.database_url(f"{database or service}_{self.run_id}")
        self.databases.add(database_url)
        values: dict[str, Any] = {
            "service_name": service,
            "environment": "test",
            "database_url": database_url,
            "amqp_url": self.servers.amqp_url,
            "exchange": self.exchange,
            # a second instance of a service (its own database) also gets its own queues: otherwise the
            # first instance's consumers would take its messages
            "queue_prefix": self.queue_prefix if database is None else f"{self.queue_prefix}{database}.",
            "relay_poll_interval_s": 0.25,
            # small pools: a test run holds many services at once against one server (max_connections 100)
            "database_pool_size": 3,
            "database_max_overflow": 3,
            "consumer_concurrency": 4,
        }
        if "jwt_jwks_url" not in overrides:  # a service under test has keys from its start, as in production
            values["jwt_public_key"] = self.tokens.public_pem
        values.update(overrides)
        return cls(**values)

    def env(self, settings: ServiceSettings, prefix: str) -> dict[str, str]:
        """Environment variables that reproduce ``settings`` in a subprocess (secrets revealed)."""
        env = dict(os.environ)
        for key, value in settings.environ().items():
            env[f"{prefix}{key.removeprefix(settings.model_config.get('env_prefix', '').upper())}".upper()] = value
        return env

    def track_queues(self, names: list[str]) -> None:
        for name in names:
            self.queues.update({name, f"{name}.dlq"})

    async def cleanup(self) -> None:
        for url in self.databases:
            try:
                await drop_database(url)
            except Exception:  # noqa: BLE001 - best effort; the next run uses new names anyway
                pass
        try:
            connection = await aio_pika.connect(self.servers.amqp_url)
        except Exception:  # noqa: BLE001
            return
        async with connection:
            for name in sorted(self.queues):
                channel = await connection.channel()
                try:
                    await channel.queue_delete(name)
                except Exception:  # noqa: BLE001
                    pass
            channel = await connection.channel()
            try:
                await channel.exchange_delete(self.exchange)
            except Exception:  # noqa: BLE001
                pass


@pytest.fixture(scope="session")
async def test_env(servers: Servers, run_id: str) -> AsyncIterator[RunEnvironment]:
    env = RunEnvironment(servers, run_id)
    yield env
    await env.cleanup()


async def wait_for(
    check: Callable[[], Awaitable[T]], *, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"
) -> T:
    """Await until ``check()`` returns something truthy (and return it); fail after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


async def wait_until_up(url: str, *, check: str = "ready", timeout: float = 60.0) -> None:
    """Await a service started as a process: its ``/health/<check>`` (live or ready) answering 200."""
    async with httpx.AsyncClient(timeout=1) as http:

        async def up() -> bool:
            try:
                return (await http.get(f"{url}/health/{check}")).status_code == 200
            except httpx.HTTPError:
                return False

        await wait_for(up, timeout=timeout, interval=0.25, what=f"{url} to be {check}")


class QueueProbe:
    """A test-owned queue bound to routing keys: await the messages a test expects instead of sleeping."""

    def __init__(self, queue: aio_pika.abc.AbstractQueue) -> None:
        self.queue = queue
        self.messages: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()

    async def next(self, timeout: float = 10.0) -> aio_pika.abc.AbstractIncomingMessage:
        return await asyncio.wait_for(self.messages.get(), timeout)

    async def collect(self, count: int, timeout: float = 10.0) -> list[aio_pika.abc.AbstractIncomingMessage]:
        return [await self.next(timeout) for _ in range(count)]


@asynccontextmanager
async def probe(env: RunEnvironment, *routing_keys: str, queue: str | None = None) -> AsyncIterator[QueueProbe]:
    """Bind a temporary queue to the run's exchange (or consume an existing ``queue``)."""
    connection = await aio_pika.connect(env.servers.amqp_url)
    async with connection:
        channel = await connection.channel()
        if queue is None:
            exchange = await channel.declare_exchange(env.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
            q = await channel.declare_queue("", exclusive=True)
            for key in routing_keys or ("#",):
                await q.bind(exchange, key)
        else:
            q = await channel.declare_queue(queue, passive=True)
        p = QueueProbe(q)

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            await message.ack()
            await p.messages.put(message)

        await q.consume(on_message)
        yield p


async def fetch(settings: ServiceSettings, query: str, *args: Any) -> list[asyncpg.Record]:
    """Run a query against a service's database with a short-lived connection (for assertions)."""
    conn = await asyncpg.connect(plain_dsn(settings.database_url))
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


@dataclass
class RunningService:
    app: Any
    client: httpx.AsyncClient
    settings: ServiceSettings


async def publish(env: RunEnvironment, event: Any, **envelope: Any) -> Any:
    """Publish ``event`` on the run's exchange as another service's relay would (persistent, confirmed,
    ``message_id = event_id``). Returns its envelope. For tests that play the producing service."""
    return (await publish_many(env, [event], **envelope))[0]


async def publish_many(env: RunEnvironment, events: list[Any], **envelope: Any) -> list[Any]:
    """``publish`` for many events over one connection, confirms in flight."""
    from contracts import Envelope

    wrapped = [Envelope.wrap(event, **envelope) for event in events]
    connection = await aio_pika.connect(env.servers.amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(env.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        await asyncio.gather(*(
            exchange.publish(
                aio_pika.Message(
                    item.model_dump_json().encode(),
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    message_id=str(item.event_id),
                    type=item.event_type,
                ),
                event.routing_key,
            )
            for item, event in zip(wrapped, events, strict=True)
        ))
    return wrapped


def terminate(*processes: subprocess.Popen, timeout_s: float = 20) -> None:
    """Stop child processes as an orchestrator does: SIGTERM to each still running, then wait for each,
    SIGKILL after ``timeout_s``."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def running_service(
    service: Any, env: RunEnvironment, *, relay: bool = True, migrate: bool = True, http: bool = False
) -> AsyncIterator[RunningService]:
    """Run a ``kit.service.Service`` in this event loop: migrated database, lifespan, consumers and
    (optionally) its relay. Requests go through an in-memory ASGI client, or with ``http=True`` over real
    HTTP to uvicorn on ``settings.http_port`` (for services that must be reached from outside, such as a
    webhook or the gateway's proxy; pick the port with ``free_port()``)."""
    from kit import migrations

    settings = service.settings
    env.track_queues(list(service.consumers.bindings(settings)))
    if migrate:
        await migrations.upgrade(service.root, settings.database_url)
    app = service.create_app()
    stop = asyncio.Event()
    relay_task = asyncio.create_task(service.run_relay(stop)) if relay else None
    try:
        if http:
            async with _uvicorn(service, app), httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{settings.http_port}"
            ) as client:
                yield RunningService(app, client, settings)
        else:
            async with app.router.lifespan_context(app):
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(transport=transport, base_url=f"http://{settings.service_name}") as client:
                    yield RunningService(app, client, settings)
    finally:
        stop.set()
        if relay_task:
            await asyncio.wait_for(relay_task, 10)


@asynccontextmanager
async def _uvicorn(service: Any, app: Any) -> AsyncIterator[None]:
    """The service's uvicorn servers on 127.0.0.1: its HTTP port, then its listeners (a mutual-TLS port)."""
    from kit.service import started

    servers = service.servers(app, host="127.0.0.1")
    tasks: list[asyncio.Task] = []
    try:
        for server in servers:
            tasks.append(asyncio.create_task(server.serve()))
            await asyncio.wait_for(started(server, tasks[-1]), 30)
        yield
    finally:
        for server in reversed(servers):
            server.should_exit = True
        await asyncio.wait_for(asyncio.gather(*tasks), 15)


async def _started(server: Any, task: asyncio.Task) -> bool:
    if task.done():
        task.result()  # raises the startup error
        raise AssertionError("uvicorn stopped during startup")
    return bool(server.started)


@asynccontextmanager
async def fake_api(app: Any, *, ssl: dict[str, Any] | None = None) -> AsyncIterator[str]:
    """Serve ``app`` (a small FastAPI/Starlette app playing an outside system: BankID, a register, the
    payment provider, the bank, an SMS provider) over real HTTP on a free port; yields its base URL. The
    production adapters are tested against these, never against a mock. ``ssl`` takes uvicorn's ssl
    options (``ssl_keyfile``, ``ssl_certfile``, ``ssl_ca_certs``, ``ssl_cert_reqs``) for a system that
    speaks mutual TLS, as BankID's RP API does."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
                                           **(ssl or {})))
    task = asyncio.create_task(server.serve())
    try:
        await wait_for(lambda: _started(server, task), timeout=30, what=f"fake API on port {port}")
        yield f"{'https' if ssl else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 15)
