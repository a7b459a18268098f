"""Logistics settings: environment variables prefixed ``LOGISTICS_``."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from kit.settings import Secret, ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="LOGISTICS_", extra="ignore")

    service_name: str = "logistics"
    #: Attachments travel as base64 inside JSON (5 MB each, a third more as base64): their routes take more.
    body_limits: dict[str, int] = Field(default_factory=lambda: {r"/attachments$": 8 * 1024 * 1024,
                                                                 r"^/activities$": 32 * 1024 * 1024})
    http_port: int = 8003
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/logistics"
    #: Article search shows availability in the chosen warehouse only below this many hits (LG-4)
    search_availability_max_hits: int = Field(default=200, ge=1)
    #: Partner regions consume logistics events from this exchange (LG-19)
    partner_exchange: str = "partner.logistics"
    #: Key of the recipient pseudonyms in partner events; production sets a secret (LOGISTICS_PARTNER_PSEUDONYM_KEY)
    partner_pseudonym_key: Secret = SecretStr("development-only-pseudonym-key")
