"""Notify settings: environment variables prefixed ``NOTIFY_``."""

from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    service_name: str = "notify"
    http_port: int = 8005
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/notify"
