"""Notify's own production rules: the SMTP password when the server wants a login, the SMS provider's
URL and token when the http provider is chosen; neither otherwise."""

from notify.settings import Settings

REAL = {"environment": "production", "amqp_url": "amqp://nt:s3cret@rabbitmq:5672/", "sms_provider": "stub",
        "mail_adapter": "stub"}


def test_no_login_and_the_sms_stub_need_no_credentials():
    assert Settings(**REAL).problems() == []


def test_the_smtp_adapter_needs_its_login_and_tls():
    smtp = {**REAL, "mail_adapter": "smtp", "smtp_tls": "starttls"}
    assert [p.split(":")[0] for p in Settings(**smtp, smtp_username="mailer").problems()] == ["NOTIFY_SMTP_PASSWORD"]
    assert Settings(**smtp, smtp_username="mailer", smtp_password="p" * 20).problems() == []
    assert [p.split(":")[0] for p in Settings(**smtp | {"smtp_tls": "none"}, smtp_username="mailer",
                                              smtp_password="p" * 20).problems()] == ["NOTIFY_SMTP_TLS"]


def test_the_http_sms_provider_needs_its_url_and_token():
    found = Settings(**REAL | {"sms_provider": "http"}).problems()
    assert [p.split(":")[0] for p in found] == ["NOTIFY_SMS_API_URL", "NOTIFY_SMS_API_TOKEN"]
    assert Settings(**REAL | {"sms_provider": "http"}, sms_api_url="https://sms.example/send", sms_api_token="t" * 20
                    ).problems() == []


def test_outside_production_nothing_is_required():
    assert Settings(environment="development", smtp_username="mailer", sms_provider="http").problems() == []


def test_credentials_never_show_in_a_repr():
    settings = Settings(**REAL, smtp_username="mailer", smtp_password="very-secret-smtp", sms_api_token="very-secret-sms")
    assert "very-secret" not in repr(settings)
