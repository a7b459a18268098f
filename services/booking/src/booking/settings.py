"""Booking settings: environment variables prefixed ``BOOKING_``."""

import base64
import binascii

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from kit.settings import STUB, OptionalSecret, SecretKeys, ServiceSettings, adapter


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BOOKING_", extra="ignore")

    service_name: str = "booking"
    http_port: int = 8001
    database_url: str = "postgresql+asyncpg://booking@127.0.0.1:5432/booking"

    # Paid bookings (BK-15): how long a reserved slot waits for its payment, and how often holds are swept
    hold_minutes: float = Field(default=15, gt=0)
    hold_sweep_interval_s: float = Field(default=1.0, gt=0)
    # Journal encryption (JR-1): key-encryption keys by id, base64 of 32 bytes. Development has a fixed key;
    # production passes real ones (BOOKING_JOURNAL_KEYS as JSON) and rotates by adding a key and moving
    # BOOKING_JOURNAL_KEY_CURRENT to it, then `POST /admin/journal/rewrap`.
    journal_keys: SecretKeys = Field(
        default_factory=lambda: {"dev-1": SecretStr("ZGV2ZWxvcG1lbnQtb25seS1qb3VybmFsLWtleS0zMmI=")})
    journal_key_current: str = "dev-1"
    #: The web app's public address: the links in booking's mails (consent answers, invitations) open its pages
    app_base_url: str = "http://127.0.0.1:8006"
    # HELFO tariffs (GR-1, BL-7): code -> fee and the patient's share, in øre. These are EXAMPLE values for
    # development and tests; production loads the current official table (BOOKING_HELFO_TARIFFS as JSON).
    helfo_tariffs: dict[str, dict[str, int]] = Field(default_factory=lambda: {
        "2ad": {"fee_minor": 31000, "patient_share_minor": 21500},
        "8": {"fee_minor": 9000, "patient_share_minor": 0},
        "G1": {"fee_minor": 17500, "patient_share_minor": 11000},
    })
    #: Where the iCalendar feed URLs point (the gateway's public address)
    public_base_url: str = "http://127.0.0.1:8000/api/booking"

    # Socialstyrelsen's licence register (adapters/licence_register.py): "stub" knows a few invented
    # licence numbers; "http" asks the HOSP-shaped API (URL and API key required in production).
    licence_register: adapter("http") = STUB
    licence_register_url: str = ""
    licence_register_api_key: OptionalSecret = SecretStr("")
    licence_register_timeout_s: float = Field(default=5.0, gt=0)
    licence_register_attempts: int = Field(default=3, ge=1)

    def problems(self) -> list[str]:
        """Besides kit's rules: the licence register's URL and key when its production adapter is chosen; the
        journal's key ring holds the current key, and every key is 32 bytes (base64)."""
        found = super().problems()
        if not self.is_production:
            return found
        if self.licence_register == "http":
            if not self.licence_register_url:
                found.append(f"{self.variable('licence_register_url')}: missing (BOOKING_LICENCE_REGISTER=http needs it)")
            if not self.licence_register_api_key.get_secret_value():
                found.append(f"{self.variable('licence_register_api_key')}: missing (BOOKING_LICENCE_REGISTER=http needs it)")
        if self.journal_key_current not in self.journal_keys:
            found.append(f"{self.variable('journal_key_current')}: no key with this id in BOOKING_JOURNAL_KEYS")
        for key_id, key in self.journal_keys.items():
            try:
                size = len(base64.b64decode(key.get_secret_value(), validate=True))
            except (binascii.Error, ValueError):
                size = -1
            if size != 32:
                found.append(f"{self.variable('journal_keys')}: key {key_id!r} is not base64 of 32 bytes")
        return found
