"""Portal settings: environment variables prefixed ``PORTAL_``."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

    service_name: str = "portal"
    http_port: int = 8004
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/portal"
    #: How long audit rows (reads of reports, plans, measurements, profiles; denials) are kept (HSLF-FS 2016:40)
    audit_retention_days: int = Field(default=5 * 365, ge=1)
