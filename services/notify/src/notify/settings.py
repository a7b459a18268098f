"""Notify settings: environment variables prefixed ``NOTIFY_``."""

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from kit.settings import STUB, OptionalSecret, ServiceSettings, adapter


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    service_name: str = "notify"
    http_port: int = 8005
    database_url: str = "postgresql+asyncpg://notify@127.0.0.1:5432/notify"

    # Email over SMTP (adapters/smtp.py). "stub": the local sink `make run` starts (python -m notify
    # smtp-sink, on 8025); "smtp": the real relay, with TLS and credentials (required in production).
    mail_adapter: adapter("smtp") = STUB
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str = ""
    #: Required in production with NOTIFY_MAIL_ADAPTER=smtp (with NOTIFY_SMTP_USERNAME)
    smtp_password: OptionalSecret = SecretStr("")
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    #: CA bundle (a file) the relay's certificate is checked against; empty: the system's CAs
    smtp_ca_file: str = ""
    smtp_timeout_s: float = 10.0
    mail_from: str = "Care platform <no-reply@care-platform.example>"

    # SMS through a provider adapter (adapters/sms.py): "stub" stores messages (GET /dev/sms); "http"
    # posts them to a provider's REST API (URL and token required in production).
    sms_provider: adapter("http") = STUB
    sms_api_url: str = ""
    #: The provider's bearer token: required in production with NOTIFY_SMS_PROVIDER=http
    sms_api_token: OptionalSecret = SecretStr("")
    sms_timeout_s: float = Field(default=10.0, gt=0)
    sms_attempts: int = Field(default=3, ge=1)
    sms_sender: str = "CarePlatf"

    # Delivery: attempts before a message counts as failed; how often due messages are looked for
    max_attempts: int = Field(default=8, ge=1)
    sender_poll_interval_s: float = Field(default=0.2, gt=0)
    #: GR-3: a group-appointment notice goes this long after the last change
    group_notice_delay_s: float = Field(default=300.0, ge=0)
    #: The web app's public address: the sign-in links in notify's mails point at it
    app_base_url: str = "http://127.0.0.1:8006"

    def problems(self) -> list[str]:
        """Besides kit's rules: the chosen production adapter's credentials (only when it is chosen)."""
        found = super().problems()
        if not self.is_production:
            return found
        if self.sms_provider == "http":
            found += [f"{self.variable(name)}: missing (NOTIFY_SMS_PROVIDER=http needs it)"
                      for name in ("sms_api_url", "sms_api_token") if not _value(getattr(self, name))]
        if self.mail_adapter == "smtp":
            found += [f"{self.variable(name)}: missing (NOTIFY_MAIL_ADAPTER=smtp needs it)"
                      for name in ("smtp_username", "smtp_password") if not _value(getattr(self, name))]
            if self.smtp_tls == "none":
                found.append(f"{self.variable('smtp_tls')}: must be starttls or tls with NOTIFY_MAIL_ADAPTER=smtp")
        return found


def _value(value: str | SecretStr) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else value
