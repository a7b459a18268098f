"""Gateway settings: environment variables prefixed ``GATEWAY_``."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from kit.settings import Secret, ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    #: The upload routes' larger body limits, as the services declare them (logistics settings), under /api/.
    body_limits: dict[str, int] = Field(default_factory=lambda: {r"^/api/logistics/.*/attachments$": 8 * 1024 * 1024,
                                                                 r"^/api/logistics/activities$": 32 * 1024 * 1024})
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
    #: Idle connections to a service are dropped after this long; shorter than the services keep them open
    #: (``<SERVICE>_HTTP_KEEP_ALIVE_S``, 75 s), or a request could go out on a connection being closed.
    proxy_keepalive_s: float = 20.0

    # Tokens: Ed25519 signing key as PEM (production: from a secret), else a file created on first start
    signing_key_pem: Secret = SecretStr("")
    signing_key_path: str = "var/keys/gateway-ed25519.pem"
    access_token_ttl_s: int = Field(default=600, ge=30)
    refresh_token_ttl_s: int = Field(default=14 * 24 * 3600, ge=60)
    #: Keys personal identity numbers are hashed with for look-up (never stored or logged in clear)
    identity_hmac_key: Secret = SecretStr("development-identity-key-change-me")

    # Password + SMS code (GW-3)
    code_ttl_s: int = Field(default=600, ge=30, le=600)
    code_max_attempts: int = 5
    codes_per_account_per_10_min: int = 5
    codes_per_ip_per_10_min: int = 30
    # Temporary passwords (GW-4): the policy for chosen passwords
    password_min_length: int = Field(default=12, ge=8)
    # Terms of use (GW-5)
    terms_version: str = "2026-11"
    # BankID stub: an order not completed in this time expires (expiredTransaction)
    bankid_order_ttl_s: int = 180
