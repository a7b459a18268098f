"""Portal settings: environment variables prefixed ``PORTAL_``."""

from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

    service_name: str = "portal"
    http_port: int = 8004
    database_url: str = "postgresql+asyncpg://portal@127.0.0.1:5432/portal"
