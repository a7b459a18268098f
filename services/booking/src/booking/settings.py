"""Booking settings: environment variables prefixed ``BOOKING_``."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOOKING_", extra="ignore")

    service_name: str = "booking"
    http_port: int = 8001
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/booking"

    # Paid bookings (BK-15): how long a reserved slot waits for its payment, and how often holds are swept
    hold_minutes: float = Field(default=15, gt=0)
    hold_sweep_interval_s: float = Field(default=1.0, gt=0)
    # Journal encryption (JR-1): key-encryption keys by id, base64 of 32 bytes. Development has a fixed key;
    # production passes real ones (BOOKING_JOURNAL_KEYS as JSON) and rotates by adding a key and moving
    # BOOKING_JOURNAL_KEY_CURRENT to it, then `POST /admin/journal/rewrap`.
    journal_keys: dict[str, str] = Field(default_factory=lambda: {"dev-1": "ZGV2ZWxvcG1lbnQtb25seS1qb3VybmFsLWtleS0zMmI="})
    journal_key_current: str = "dev-1"
    #: How long the audit log is kept (JR-2: default five years)
    audit_retention_days: int = 5 * 365
    #: Where the consent links point (the front end)
    app_base_url: str = "http://127.0.0.1:8000"
    #: Where the iCalendar feed URLs point (the gateway's public address)
    public_base_url: str = "http://127.0.0.1:8000/api/booking"
