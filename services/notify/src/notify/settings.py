"""Notify settings: environment variables prefixed ``NOTIFY_``."""

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from kit.settings import OptionalSecret, ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    service_name: str = "notify"
    http_port: int = 8005
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/notify"

    # Email over SMTP. Development: `make run` starts a local sink (python -m notify smtp-sink) on 8025.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str = ""
    #: Required in production when the server wants a login (NOTIFY_SMTP_USERNAME set)
    smtp_password: OptionalSecret = SecretStr("")
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_timeout_s: float = 10.0
    mail_from: str = "Care platform <no-reply@care-platform.example>"

    # SMS through a provider adapter: "development" stores messages (GET /dev/sms); "http" posts them
    # to a provider's REST API.
    sms_provider: Literal["development", "http"] = "development"
    sms_api_url: str = ""
    #: The provider's bearer token: required in production with NOTIFY_SMS_PROVIDER=http
    sms_api_token: OptionalSecret = SecretStr("")
    sms_sender: str = "CarePlatf"

    # Delivery: attempts before a message counts as failed; how often due messages are looked for
    max_attempts: int = Field(default=8, ge=1)
    sender_poll_interval_s: float = Field(default=0.2, gt=0)
    #: GR-3: a group-appointment notice goes this long after the last change
    group_notice_delay_s: float = Field(default=300.0, ge=0)
    #: Links in emails point here (the front end)
    app_base_url: str = "http://127.0.0.1:8000"

    def problems(self) -> list[str]:
        """Credentials only some configurations need: the SMTP password when the server wants a login,
        the SMS provider's URL and token when the http provider is chosen."""
        found = super().problems()
        if not self.is_production:
            return found
        if self.smtp_username and not self.smtp_password.get_secret_value():
            found.append(f"{self.variable('smtp_password')}: missing (NOTIFY_SMTP_USERNAME is set, so the "
                         "SMTP server wants a login)")
        if self.sms_provider == "http":
            if not self.sms_api_url:
                found.append(f"{self.variable('sms_api_url')}: missing (NOTIFY_SMS_PROVIDER is http)")
            if not self.sms_api_token.get_secret_value():
                found.append(f"{self.variable('sms_api_token')}: missing (NOTIFY_SMS_PROVIDER is http)")
        return found
