"""Logistics settings: environment variables prefixed ``LOGISTICS_``."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from kit.settings import STUB, OptionalSecret, Secret, ServiceSettings, adapter


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LOGISTICS_", extra="ignore")

    service_name: str = "logistics"
    #: Attachments travel as base64 inside JSON (5 MB each, a third more as base64): their routes take more.
    body_limits: dict[str, int] = Field(default_factory=lambda: {r"/attachments$": 8 * 1024 * 1024,
                                                                 r"^/activities$": 32 * 1024 * 1024})
    http_port: int = 8003
    database_url: str = "postgresql+asyncpg://logistics@127.0.0.1:5432/logistics"
    #: Article search shows availability in the chosen warehouse only below this many hits (LG-4)
    search_availability_max_hits: int = Field(default=200, ge=1)
    #: Partner regions consume logistics events from this exchange (LG-19)
    partner_exchange: str = "partner.logistics"
    #: Key of the recipient pseudonyms in partner events; production sets a secret (LOGISTICS_PARTNER_PSEUDONYM_KEY)
    partner_pseudonym_key: Secret = SecretStr("development-only-pseudonym-key")

    #: The population register (``logistics.adapters.population_register``): ``stub`` (invented people) or
    #: ``http`` (SPAR's person search at ``population_register_url``).
    population_register: adapter("http") = STUB  # type: ignore[valid-type]
    population_register_url: str = ""
    #: Client certificate and key (PEM file paths) SPAR identifies the platform by, and the CA bundle to
    #: trust for its server certificate (empty: the system's)
    population_register_client_cert: str = ""
    population_register_client_key: str = ""
    population_register_ca_bundle: str = ""
    #: An API key, when a gateway in front of the register wants one; a secret, but not typed ``Secret``:
    #: it is required only with the http adapter and no client certificate (``problems``)
    population_register_api_key: OptionalSecret = SecretStr("")
    population_register_timeout_s: float = Field(default=5.0, gt=0)

    def problems(self) -> list[str]:
        """Besides kit's rules: the chosen production register's address and credentials."""
        found = super().problems()
        if self.is_production and self.population_register == "http":
            if not self.population_register_url:
                found.append(f"{self.variable('population_register_url')}: missing (required by the production adapter)")
            if not self.population_register_client_cert and not self.population_register_api_key.get_secret_value():
                found.append(f"{self.variable('population_register_client_cert')} or "
                             f"{self.variable('population_register_api_key')}: missing (the register needs one)")
            if bool(self.population_register_client_cert) != bool(self.population_register_client_key):
                found.append(f"{self.variable('population_register_client_key')}: a client certificate needs its key")
        return found
