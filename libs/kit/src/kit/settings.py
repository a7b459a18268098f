"""Settings base class. Each service subclasses it with its own env prefix (``BOOKING_DATABASE_URL``…).

Production is the default and fails closed: ``make run``, the tests and the development overlays say
``<PREFIX>ENVIRONMENT=development`` (or ``test``) explicitly. In production :meth:`ServiceSettings.problems`
lists every setting that is not fit to run with, one line each naming its variable, and the service
refuses to start (``kit.service``):

- a :data:`Secret` that is empty or still has its development value (the field's default *is* its
  development value, so "known to be development" is one rule, not a check per secret);
- an :data:`Adapter` left on its development stub without naming the stub explicitly
  (``BILLING_PAYMENT_PROVIDER=stub`` is allowed and shown by readiness; an unset one is not).

Secrets are ``SecretStr``: they print as ``**********`` in a repr or a log line; read one with
``settings.x.get_secret_value()``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr
from pydantic_core import to_jsonable_python
from pydantic_settings import BaseSettings, SettingsConfigDict

STUB = "stub"


class _SecretMarker:
    """Marks a setting as a secret whose default is its development value. ``required=False``: a
    credential only some configurations need (the SMTP password when the server wants a login); the
    service's own :meth:`ServiceSettings.problems` says when it is required."""

    def __init__(self, required: bool = True) -> None:
        self.required = required


class _AdapterMarker:
    """Marks the setting that chooses an outside system's adapter (``stub`` or a production one)."""


#: A secret setting. Its default is the development value, which production refuses.
Secret = Annotated[SecretStr, _SecretMarker()]
#: A secret holding several keys by id (the journal's key-encryption keys): refused in production when
#: empty or when any key is one of the development keys.
SecretKeys = Annotated[dict[str, SecretStr], _SecretMarker()]
#: A secret needed only by some configurations (empty by default): production still refuses a
#: development value; the service's ``problems()`` requires it when the configuration needs it.
OptionalSecret = Annotated[SecretStr, _SecretMarker(required=False)]


def secret_value(value: SecretStr | str) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


class ConfigurationError(Exception):
    """The settings cannot run in this environment; ``problems`` has one line per variable."""

    def __init__(self, service: str, problems: list[str]) -> None:
        super().__init__(f"{service} refuses to start in production:\n" + "\n".join(problems))
        self.problems = problems


def adapter(*choices: str) -> Any:
    """The type of an adapter-choosing setting: ``provider: adapter("http") = STUB``; ``stub`` is always
    one of the choices."""
    return Annotated[Literal[(STUB, *choices)], _AdapterMarker()]  # type: ignore[valid-type]


class ServiceSettings(BaseSettings):
    """Configuration shared by every service. Subclasses set ``model_config`` with their env prefix."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "service"
    #: ``production`` unless said otherwise: a deploy that forgets it runs no stub and no development key.
    environment: Literal["development", "test", "production"] = "production"

    # HTTP
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    #: How long an idle keep-alive connection stays open. Longer than the gateway keeps idle connections in
    #: its pool (GATEWAY_PROXY_KEEPALIVE_S), so the gateway never sends a request on a connection that this
    #: service is closing at the same moment.
    http_keep_alive_s: int = 75
    #: Largest request body in bytes, answered 413 before parsing (kit.http); 1 MiB.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1)
    #: Larger limits for upload routes: a regular expression searched in the path → bytes (kit.http).
    body_limits: dict[str, int] = Field(default_factory=dict)

    #: Peers whose ``X-Forwarded-For`` is believed (addresses or CIDRs, ``<PREFIX>TRUSTED_PROXIES`` as a JSON
    #: list): the TLS-terminating proxy before the gateway, the gateway before a service. See ``kit.net``.
    trusted_proxies: list[str] = Field(default_factory=list)
    #: Origins whose browser scripts may call this service (CORS, ``<PREFIX>CORS_ORIGINS`` as a JSON list of
    #: ``https://app.example.se``): empty, the default, is off. Set on the gateway only: front-ends talk to it.
    cors_origins: list[str] = Field(default_factory=list)

    # PostgreSQL: the service's own database, as the service's own role (not a superuser: the reserved
    # connections stay for the operator, and one service cannot touch another's database)
    database_url: str = "postgresql+asyncpg://service@127.0.0.1:5432/service"
    #: Used only by ``migrate``: a role that may create the service's role and database (in development the
    #: local superuser; ``make run`` passes it). Empty: they exist already (CloudNativePG makes both).
    database_admin_url: str = ""
    #: ``database_url`` leads to PgBouncer in transaction mode (Kubernetes: CloudNativePG's Pooler): asyncpg
    #: then caches no statements and names each one uniquely, as a pooled server connection changes hands
    #: between transactions.
    database_pgbouncer: bool = False
    #: The database without a pooler between, for what needs a session of its own: LISTEN/NOTIFY (the relay,
    #: ``?wait=`` requests), the relay's and housekeeping's advisory locks, migrations. Empty: ``database_url``.
    database_direct_url: str = ""
    #: The connection budget of one process (issue 20): at most pool_size + max_overflow connections. Six
    #: services with a relay each stay far below PostgreSQL's default max_connections (100); see the README.
    database_pool_size: int = Field(default=5, ge=1)
    database_max_overflow: int = Field(default=5, ge=0)
    #: A request waits this long for a connection, then gets 503 with Retry-After (never a 500)
    database_pool_timeout_s: float = Field(default=5.0, gt=0)
    #: Connections are replaced after this long, so idle ones do not pile up on the server for ever
    database_pool_recycle_s: float = Field(default=300.0, gt=0)

    # RabbitMQ
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    exchange: str = "events"
    #: Prepended to every queue name; tests use it to keep runs apart.
    queue_prefix: str = ""
    prefetch: int = Field(default=64, ge=1, le=1000)
    #: Messages handled at once by one process, across all its queues. Keep it below the database pool
    #: size: every handler holds one connection for its transaction.
    consumer_concurrency: int = Field(default=16, ge=1)
    #: x-delivery-limit of every quorum queue (said explicitly: RabbitMQ 3.x has no default, 4.x has 20).
    delivery_limit: int = Field(default=5, ge=1)

    # Outbox relay
    relay_batch_size: int = Field(default=500, ge=1)
    relay_poll_interval_s: float = Field(default=1.0, gt=0)
    relay_confirm_timeout_s: float = Field(default=10.0, gt=0)
    #: The relay's readiness port (0: none): ``GET /health/ready`` answers 200 with ``{"role": "active"}`` or
    #: ``"standby"`` while it is connected (publishing, or waiting for the lock), 503 while it retries
    #: (Kubernetes' readiness probe of the relay Deployment; deploy/k8s uses 9000)
    relay_health_port: int = Field(default=0, ge=0, le=65535)

    # Housekeeping (kit.housekeeping): how long kit's own rows are kept
    #: Sent outbox rows: kept a week to look into what was published.
    outbox_retention_days: float = Field(default=7, gt=0)
    #: Inbox rows must outlive any redelivery of their message: the delivery limit ends retries within
    #: minutes, but a message shovelled back from a dead-letter queue can come days later. Generous.
    inbox_retention_days: float = Field(default=14, gt=0)
    #: Idempotency keys: a client retries within minutes; 24 h is what clients are promised.
    idempotency_retention_hours: float = Field(default=24, gt=0)
    housekeeping_interval_s: float = Field(default=3600, gt=0)
    #: Rows deleted per statement: small enough that no DELETE holds its locks for long.
    housekeeping_batch_size: int = Field(default=1000, ge=1)
    #: kit.audit's rows (reads of personal and clinical data): HSLF-FS 2016:40 and JR-2 ask for five years.
    audit_retention_days: int = Field(default=5 * 365, ge=1)

    # Tokens issued by the gateway (PEM public key; empty means "no token is accepted")
    jwt_public_key: str = ""
    jwt_issuer: str = "care-gateway"
    jwt_audience: str = "care-platform"
    #: Where the gateway publishes its public keys; used when jwt_public_key is empty
    jwt_jwks_url: str = "http://127.0.0.1:8000/.well-known/jwks.json"
    #: The longest lifetime (exp - iat) an accepted access token may have; also how long an ended
    #: session's id is remembered. The gateway's access-token lifetime must not exceed it.
    jwt_max_lifetime_s: int = Field(default=3600, ge=30)
    #: The gateway's list of recently ended sessions, asked once at startup (kit.sessions); empty: not asked
    sessions_ended_url: str = "http://127.0.0.1:8000/identity/sessions/ended"

    # Telemetry
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otel_endpoint: str = "http://127.0.0.1:4318/v1/traces"
    log_level: str = "INFO"

    # Throttling of credential checks (kit.throttle): failures allowed per window before back-off starts,
    # per account and per client address (more: many people may share one address), and the back-off
    throttle_account_failures: int = Field(default=5, ge=1)
    throttle_ip_failures: int = Field(default=30, ge=1)
    throttle_window_s: float = Field(default=900.0, gt=0)
    throttle_base_s: float = Field(default=1.0, gt=0)
    throttle_max_s: float = Field(default=900.0, gt=0)

    @property
    def session_database_url(self) -> str:
        """Where a connection of its own goes (LISTEN, advisory locks, migrations): past any pooler."""
        return self.database_direct_url or self.database_url

    # -- production checks ---------------------------------------------------------------------------
    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    def variable(self, field_name: str) -> str:
        """The environment variable a field is read from (``BILLING_PROVIDER_WEBHOOK_SECRET``)."""
        return f"{self.model_config.get('env_prefix', '')}{field_name}".upper()

    @classmethod
    def _marked(cls, marker: type) -> list[str]:
        return [name for name, info in cls.model_fields.items() if any(isinstance(m, marker) for m in info.metadata)]

    @classmethod
    def secret_variables(cls, *, required: bool | None = None) -> list[str]:
        """Every secret's environment variable (the Kubernetes Secret of the service holds these); with
        ``required`` only those production always requires (True) or only the optional ones (False)."""
        prefix = cls.model_config.get("env_prefix", "")
        found = []
        for name in cls._marked(_SecretMarker):
            is_required = all(m.required for m in cls.model_fields[name].metadata if isinstance(m, _SecretMarker))
            if required is None or required == is_required:
                found.append(f"{prefix}{name}".upper())
        return found

    def environ(self) -> dict[str, str]:
        """Environment variables that reproduce these settings in another process, secrets revealed
        (``model_dump`` masks them)."""
        found: dict[str, str] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            elif isinstance(value, dict):
                value = {k: secret_value(v) if isinstance(v, SecretStr) else v for k, v in value.items()}
            plain = value if isinstance(value, str) else json.dumps(to_jsonable_python(value))
            found[self.variable(name)] = plain
        return found

    def stubs(self) -> list[str]:
        """The adapters running as their development stub (readiness lists them)."""
        return [name for name in self._marked(_AdapterMarker) if getattr(self, name) == STUB]

    def problems(self) -> list[str]:
        """Why these settings must not run in production: one line per variable; empty when they may.
        Services extend it for rules of their own (a credential needed only by the adapter chosen)."""
        if not self.is_production:
            return []
        found: list[str] = []
        fields = type(self).model_fields
        for name in self._marked(_SecretMarker):
            value, development = getattr(self, name), fields[name].get_default(call_default_factory=True)
            required = all(m.required for m in fields[name].metadata if isinstance(m, _SecretMarker))
            if isinstance(value, dict):
                dev_values = {secret_value(v) for v in (development or {}).values()}
                if not value or any(not secret_value(v) or secret_value(v) in dev_values for v in value.values()):
                    found.append(f"{self.variable(name)}: missing, or holds a development key")
            elif not secret_value(value):
                if required:
                    found.append(f"{self.variable(name)}: missing (a secret is required in production)")
            elif development is not None and secret_value(value) == secret_value(development):
                found.append(f"{self.variable(name)}: still has its development value")
        if "guest:guest@" in self.amqp_url:
            found.append(f"{self.variable('amqp_url')}: uses RabbitMQ's development account guest:guest")
        if self.database_pgbouncer and not self.database_direct_url:
            found.append(f"{self.variable('database_direct_url')}: required behind PgBouncer (LISTEN and the "
                         "relay's advisory lock need a session of their own)")
        if "://postgres@" in self.database_url or "://postgres:" in self.database_url:
            found.append(f"{self.variable('database_url')}: logs in as the superuser postgres; use the service's own role")
        for name in self._marked(_AdapterMarker):
            if getattr(self, name) == STUB and name not in self.model_fields_set:
                found.append(f"{self.variable(name)}: not set; choose the production adapter, or name "
                             f"'{STUB}' explicitly to run the development stub in production")
        return found

    def check(self) -> None:
        """Raise :class:`ConfigurationError` when :meth:`problems` finds any."""
        if found := self.problems():
            raise ConfigurationError(self.service_name, found)

    @property
    def amqp_exchange(self) -> str:
        return self.exchange

    def queue_name(self, purpose: str) -> str:
        """``<prefix><service>.<purpose>``: every consumer owns its queues."""
        return f"{self.queue_prefix}{self.service_name}.{purpose}"
