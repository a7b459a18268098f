"""Gateway settings: environment variables prefixed ``GATEWAY_``."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    http_port: int = 8000
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/gateway"

    #: Where each service listens (``GATEWAY_SERVICES`` as JSON). Requests to /api/<name>/… go there.
    services: dict[str, str] = Field(
        default_factory=lambda: {
            "booking": "http://127.0.0.1:8001",
            "billing": "http://127.0.0.1:8002",
            "logistics": "http://127.0.0.1:8003",
            "portal": "http://127.0.0.1:8004",
            "notify": "http://127.0.0.1:8005",
        }
    )
    #: A service that does not accept the connection within this time is reported down (fast 503).
    proxy_connect_timeout_s: float = 1.0
    proxy_timeout_s: float = 30.0
