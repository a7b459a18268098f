"""Billing settings: environment variables prefixed ``BILLING_``."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from kit.settings import STUB, OptionalSecret, Secret, ServiceSettings, adapter


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore")

    service_name: str = "billing"
    http_port: int = 8002
    database_url: str = "postgresql+asyncpg://billing@127.0.0.1:5432/billing"
    #: Rented aids (BL-8): the monthly rent is the new price spread over this many months, until the aid
    #: centre's rent price list is connected
    rent_months: int = Field(default=60, ge=1)

    #: The payment provider (``billing.adapters.payment_provider``): ``stub`` (development, pay page and
    #: webhooks of its own) or ``http`` (a card/Swish-style REST provider at ``payment_provider_url``).
    payment_provider: adapter("http") = STUB  # type: ignore[valid-type]
    payment_provider_url: str = ""
    #: A secret, but not typed ``Secret``: it is required only when the http adapter is chosen (``problems``)
    payment_provider_api_key: OptionalSecret = SecretStr("")
    payment_provider_timeout_s: float = Field(default=10.0, gt=0)
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

    #: The bank the payouts go through (``billing.adapters.bank``): ``stub`` (answers a reference, moves
    #: nothing) or ``http`` (a bank's payment-initiation API at ``bank_url``).
    bank: adapter("http") = STUB  # type: ignore[valid-type]
    bank_url: str = ""
    bank_api_key: OptionalSecret = SecretStr("")  # required only with the http adapter
    #: Optional client certificate and key (PEM file paths) when the bank wants mutual TLS
    bank_client_cert: str = ""
    bank_client_key: str = ""
    #: The platform's own account the payouts are paid from
    bank_debtor_account: str = ""
    bank_timeout_s: float = Field(default=10.0, gt=0)

    # The development provider stub
    stub_webhook_url: str = "http://127.0.0.1:8002/webhooks/provider"
    stub_confirm_delay_s: float = 0.2
    stub_poll_interval_s: float = 0.05

    #: Fault injection for the crash test (tests/test_pay_idempotency_crash.py), never for a deploy: the
    #: process dies (``os._exit(137)``, like ``kill -9``) right after the payment provider confirmed a
    #: payment and before billing commits. Honoured only when ``BILLING_ENVIRONMENT=test``; production
    #: refuses to start with it set (``problems``).
    crash_after_provider_call: bool = False

    @property
    def crashes_after_provider_call(self) -> bool:
        return self.crash_after_provider_call and self.environment == "test"

    def problems(self) -> list[str]:
        """Besides kit's rules: the chosen production adapter's address and credentials."""
        found = super().problems()
        if not self.is_production:
            return found
        if self.crash_after_provider_call:
            found.append(f"{self.variable('crash_after_provider_call')}: fault injection for tests; never in production")
        if self.payment_provider == "http":
            found += _missing(self, "payment_provider_url", "payment_provider_api_key")
        if self.bank == "http":
            found += _missing(self, "bank_url", "bank_api_key", "bank_debtor_account")
        return found


def _missing(settings: Settings, *names: str) -> list[str]:
    """One line per empty setting among ``names`` ."""
    found = []
    for name in names:
        value = getattr(settings, name)
        if not (value.get_secret_value() if isinstance(value, SecretStr) else value):
            found.append(f"{settings.variable(name)}: missing (required by the production adapter)")
    return found
