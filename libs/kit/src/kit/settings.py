"""Settings base class. Each service subclasses it with its own env prefix (``BOOKING_DATABASE_URL``…)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Configuration shared by every service. Subclasses set ``model_config`` with their env prefix."""

    model_config = SettingsConfigDict(extra="ignore")

    service_name: str = "service"
    environment: Literal["development", "test", "production"] = "development"

    # HTTP
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    #: How long an idle keep-alive connection stays open. Longer than the gateway keeps idle connections in
    #: its pool (GATEWAY_PROXY_KEEPALIVE_S), so the gateway never sends a request on a connection that this
    #: service is closing at the same moment.
    http_keep_alive_s: int = 75

    # PostgreSQL: the service's own database
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/service"
    database_pool_size: int = 20
    database_max_overflow: int = 10

    # RabbitMQ
    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    exchange: str = "events"
    #: Prepended to every queue name; tests use it to keep runs apart.
    queue_prefix: str = ""
    prefetch: int = Field(default=64, ge=1, le=1000)
    #: Messages handled at once by one process, across all its queues. Keep it below the database pool
    #: size: every handler holds one connection for its transaction.
    consumer_concurrency: int = Field(default=16, ge=1)
    #: x-delivery-limit of every quorum queue (RabbitMQ 3.10 has no default).
    delivery_limit: int = Field(default=5, ge=1)

    # Outbox relay
    relay_batch_size: int = Field(default=500, ge=1)
    relay_poll_interval_s: float = Field(default=1.0, gt=0)
    relay_confirm_timeout_s: float = Field(default=10.0, gt=0)

    # Tokens issued by the gateway (PEM public key; empty means "no token is accepted")
    jwt_public_key: str = ""
    jwt_issuer: str = "care-gateway"
    jwt_audience: str = "care-platform"
    #: Where the gateway publishes its public keys; used when jwt_public_key is empty
    jwt_jwks_url: str = "http://127.0.0.1:8000/.well-known/jwks.json"

    # Telemetry
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otel_endpoint: str = "http://127.0.0.1:4318/v1/traces"
    log_level: str = "INFO"

    @property
    def amqp_exchange(self) -> str:
        return self.exchange

    def queue_name(self, purpose: str) -> str:
        """``<prefix><service>.<purpose>``: every consumer owns its queues."""
        return f"{self.queue_prefix}{self.service_name}.{purpose}"
