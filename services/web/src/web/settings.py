"""Web app settings: environment variables prefixed ``WEB_``. The web app keeps no database and consumes no
events: of kit's common settings it uses the environment, HTTP, trusted proxies, telemetry and logging."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from kit.settings import Secret, ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WEB_", extra="ignore")

    service_name: str = "web"
    http_port: int = 8006
    #: No broker: an empty URL (production's check on RabbitMQ's development account has nothing to refuse)
    amqp_url: str = ""
    #: The gateway, the only thing the web app talks to
    gateway_url: str = "http://127.0.0.1:8000"
    gateway_timeout_s: float = Field(default=10.0, gt=0)
    #: The gateway's mutual-TLS port as the browser reaches it: the SITHS page sends the browser there with its card
    siths_url: str = "https://127.0.0.1:8443"
    #: The time zone the pages show times in (the marketplace's)
    time_zone: str = "Europe/Stockholm"
    #: Signs the web app's cookies (CSRF, the session, the sign-in steps). Production: a long random secret.
    cookie_secret: Secret = SecretStr("development-web-cookie-secret-change-me")
    #: Cookies only over HTTPS (``Secure``): always in production; elsewhere when set (development and
    #: tests run on plain HTTP)
    cookie_secure: bool = False
    #: The language of a page when neither ?lang nor Accept-Language names one of sv, nb, nl, en
    default_language: str = Field(default="sv", pattern=r"^(sv|nb|nl|en)$")

    @property
    def secure_cookies(self) -> bool:
        return self.is_production or self.cookie_secure
