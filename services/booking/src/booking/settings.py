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
    #: Where the iCalendar feed URLs point (the gateway's public address)
    public_base_url: str = "http://127.0.0.1:8000/api/booking"
