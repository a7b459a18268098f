"""Billing settings: environment variables prefixed ``BILLING_``."""

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from kit.settings import Secret, ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore")

    service_name: str = "billing"
    http_port: int = 8002
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/billing"
    #: Rented aids (BL-8): the monthly rent is the new price spread over this many months, until the aid
    #: centre's rent price list is connected
    rent_months: int = Field(default=60, ge=1)

    #: Which payment provider adapter to use. Only the development stub exists so far; a real adapter
    #: implements ``billing.provider.base.PaymentProvider``.
    provider: Literal["stub"] = "stub"
    #: Shared secret the provider signs webhooks with (set a real one in production).
    provider_webhook_secret: Secret = SecretStr("development-webhook-secret")
    #: Webhooks older than this are refused as replays.
    provider_webhook_tolerance_s: int = 300

    # Payouts (BL-4): month boundaries in the platform's time zone; the monthly run happens on this day
    business_time_zone: str = "Europe/Stockholm"
    payout_day: int = Field(default=10, ge=1, le=28)
    payout_scheduler_enabled: bool = True
    payout_check_interval_s: float = 300.0
    #: The rent of aids out on loan (BL-8) is put on the month's specifications by a background task that
    #: runs the previous and the current month this often (each run adds only what is missing).
    rent_run_enabled: bool = True
    rent_check_interval_s: float = 3600.0
    default_commission_bp: int = Field(default=1500, ge=0, le=10_000)

    # The development provider stub
    stub_webhook_url: str = "http://127.0.0.1:8002/webhooks/provider"
    stub_confirm_delay_s: float = 0.2
    stub_poll_interval_s: float = 0.05
