"""Gateway settings: environment variables prefixed ``GATEWAY_``."""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from kit.settings import STUB, OptionalSecret, Secret, ServiceSettings, adapter


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    service_name: str = "gateway"
    #: The upload routes' larger body limits, as the services declare them (logistics settings), under /api/.
    body_limits: dict[str, int] = Field(default_factory=lambda: {r"^/api/(v1/)?logistics/.*/attachments$": 8 * 1024 * 1024,
                                                                 r"^/api/(v1/)?logistics/activities$": 32 * 1024 * 1024})
    http_port: int = 8000
    database_url: str = "postgresql+asyncpg://gateway@127.0.0.1:5432/gateway"

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
    #: The gateway's public address, the ``servers`` of the platform's OpenAPI document (/openapi/platform.json);
    #: empty: the address the request came to.
    public_url: str = ""
    #: A service that does not accept the connection within this time is reported down (fast 503).
    proxy_connect_timeout_s: float = 1.0
    proxy_timeout_s: float = 30.0
    #: Idle connections to a service are dropped after this long; shorter than the services keep them open
    #: (``<SERVICE>_HTTP_KEEP_ALIVE_S``, 75 s), or a request could go out on a connection being closed.
    proxy_keepalive_s: float = 20.0

    # Tokens: Ed25519 signing key as PEM (production: required, from a secret), else (development and tests)
    # a file created on first start
    signing_key_pem: Secret = SecretStr("")
    signing_key_path: str = "var/keys/gateway-ed25519.pem"
    access_token_ttl_s: int = Field(default=600, ge=30)
    refresh_token_ttl_s: int = Field(default=14 * 24 * 3600, ge=60)
    #: A session (a refresh-token family) is refused a refresh this long after its sign-in, however active
    session_max_age_s: int = Field(default=12 * 3600, ge=1)
    #: Keys personal identity numbers are hashed with for look-up (never stored or logged in clear)
    identity_hmac_key: Secret = SecretStr("development-identity-key-change-me")

    # Password + SMS code (GW-3)
    code_ttl_s: int = Field(default=600, ge=30, le=600)
    code_max_attempts: int = 5
    codes_per_account_per_10_min: int = 5
    codes_per_ip_per_10_min: int = 30
    # Temporary passwords (GW-4): the policy for chosen passwords
    password_min_length: int = Field(default=12, ge=8)
    #: A temporary password not changed within this time is refused; the person asks for a new one
    temporary_password_ttl_s: int = Field(default=72 * 3600, ge=60)
    #: The web app's public address: the links in the gateway's mails (password reset, email verification)
    #: point at its pages
    app_base_url: str = "http://127.0.0.1:8006"
    #: A forgotten-password link works once, for this long
    password_reset_ttl_s: int = Field(default=1800, ge=60, le=24 * 3600)
    #: A BankID login that waits for the person to confirm an account someone made for them
    bankid_claim_ttl_s: int = Field(default=600, ge=30, le=3600)
    # Terms of use (GW-5)
    terms_version: str = "2026-11"
    # BankID (adapters/bankid.py): "stub" plays BankID (and, in development, the user's app); "http" calls
    # BankID's RP API v6 over mutual TLS (client certificate, key and BankID's CA required in production).
    bankid_adapter: adapter("http") = STUB
    bankid_url: str = "https://appapi2.bankid.com/rp/v6.0"
    bankid_client_cert_pem: OptionalSecret = SecretStr("")
    bankid_client_key_pem: OptionalSecret = SecretStr("")
    #: BankID's CA certificate(s), PEM: the only issuer the API's server certificate is accepted from
    bankid_ca_pem: str = ""
    bankid_timeout_s: float = Field(default=10.0, gt=0)
    bankid_attempts: int = Field(default=3, ge=1)
    # An order not completed in this time expires (expiredTransaction; the stub's rule, our record's limit)
    bankid_order_ttl_s: int = 180

    # SITHS (GW-2): the HSA-ID comes from a verified client certificate (gateway.adapters.siths)
    #: The CA certificates SITHS client certificates are verified against: a file path, or the PEM itself.
    #: The roots and the issuing CAs (a client behind uvicorn's TLS shows only its own certificate).
    #: Empty: every SITHS login is refused. `make run` points it at var/siths/ca.pem (gateway.devca).
    siths_ca_bundle: str = ""
    #: The header a TLS-terminating proxy puts the client's certificate in (URL-encoded PEM, as nginx's
    #: $ssl_client_escaped_cert); read only from a peer in GATEWAY_TRUSTED_PROXIES.
    siths_cert_header: str = "X-SSL-Client-Cert"
    #: The gateway's own mutual-TLS port (0: off). It asks every client for a certificate from the SITHS
    #: CA bundle and serves the same routes as http_port.
    mtls_port: int = Field(default=0, ge=0, le=65535)
    #: The server certificate and key (PEM files) of the mutual-TLS port.
    mtls_certfile: str = ""
    mtls_keyfile: str = ""

    def problems(self) -> list[str]:
        """Besides kit's rules: the signing key is an Ed25519 key; BankID's credentials when its production
        adapter is chosen; the mutual-TLS port's files when it is on."""
        found = super().problems()
        if self.is_production and self.bankid_adapter == "http":
            for name in ("bankid_url", "bankid_client_cert_pem", "bankid_client_key_pem", "bankid_ca_pem"):
                value = getattr(self, name)
                if not (value.get_secret_value() if isinstance(value, SecretStr) else value):
                    found.append(f"{self.variable(name)}: missing (GATEWAY_BANKID_ADAPTER=http needs it)")
        if self.is_production and self.mtls_port:
            found += [f"{self.variable(name)}: required when GATEWAY_MTLS_PORT is set"
                      for name in ("mtls_certfile", "mtls_keyfile", "siths_ca_bundle") if not getattr(self, name)]
        pem = self.signing_key_pem.get_secret_value()
        if self.is_production and pem:
            try:
                key = serialization.load_pem_private_key(pem.encode(), password=None)
            except (ValueError, TypeError):
                key = None
            if not isinstance(key, Ed25519PrivateKey):
                found.append(f"{self.variable('signing_key_pem')}: not an unencrypted Ed25519 private key in PEM")
        return found

    @model_validator(mode="after")
    def _tokens_fit_the_services(self) -> "Settings":
        """Every service refuses a token living longer than JWT_MAX_LIFETIME_S (and forgets ended sessions
        after it): an access-token lifetime above it would lock everyone out."""
        if self.access_token_ttl_s > self.jwt_max_lifetime_s:
            raise ValueError("GATEWAY_ACCESS_TOKEN_TTL_S must not exceed GATEWAY_JWT_MAX_LIFETIME_S")
        return self
