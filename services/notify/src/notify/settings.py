"""Notify settings: environment variables prefixed ``NOTIFY_``."""

from typing import Literal

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from kit.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_", extra="ignore")

    service_name: str = "notify"
    http_port: int = 8005
    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/notify"

    # Email over SMTP. Development: `make run` starts a local sink (python -m notify smtp-sink) on 8025.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_timeout_s: float = 10.0
    mail_from: str = "Care platform <no-reply@care-platform.example>"

    # SMS through a provider adapter: "development" stores messages (GET /dev/sms); "http" posts them
    # to a provider's REST API.
    sms_provider: Literal["development", "http"] = "development"
    sms_api_url: str = ""
    sms_api_token: str = ""
    sms_sender: str = "CarePlatf"

    # Delivery: attempts before a message counts as failed; how often due messages are looked for
    max_attempts: int = Field(default=8, ge=1)
    sender_poll_interval_s: float = Field(default=0.2, gt=0)
    #: GR-3: a group-appointment notice goes this long after the last change
    group_notice_delay_s: float = Field(default=300.0, ge=0)
    #: Links in emails point here (the front end)
    app_base_url: str = "http://127.0.0.1:8000"
