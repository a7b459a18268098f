"""kit.settings: in production a development secret, an empty secret or an unnamed stub is refused, one
line per variable naming it; outside production nothing is; a secret never shows in a repr."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from kit.settings import STUB, OptionalSecret, Secret, SecretKeys, ServiceSettings, adapter

REAL_AMQP = "amqp://care:s3cret@rabbitmq:5672/"


class Example(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMPLE_", extra="ignore")

    webhook_secret: Secret = SecretStr("development-webhook-secret")
    signing_key: Secret = SecretStr("")
    keys: SecretKeys = Field(default_factory=lambda: {"dev-1": SecretStr("development-key")})
    smtp_password: OptionalSecret = SecretStr("")
    provider: adapter("http") = STUB


def good(**overrides) -> Example:
    values = {"environment": "production", "amqp_url": REAL_AMQP, "webhook_secret": "w" * 32,
              "signing_key": "s" * 32, "keys": {"k1": "k" * 32}, "provider": "http"}
    return Example(**{**values, **overrides})


def test_production_with_real_values_has_no_problems():
    assert good().problems() == []
    good().check()


def test_a_development_value_is_refused_naming_the_variable():
    assert good(webhook_secret="development-webhook-secret").problems() == [
        "EXAMPLE_WEBHOOK_SECRET: still has its development value"]


def test_an_empty_secret_is_refused():
    assert good(signing_key="").problems() == ["EXAMPLE_SIGNING_KEY: missing (a secret is required in production)"]


def test_secret_keys_holding_a_development_key_or_none_are_refused():
    refused = ["EXAMPLE_KEYS: missing, or holds a development key"]
    assert good(keys={"k1": "k" * 32, "dev-1": "development-key"}).problems() == refused
    assert good(keys={}).problems() == refused
    assert good(keys={"k1": ""}).problems() == refused


def test_an_optional_secret_may_be_empty_but_is_a_secret():
    assert good(smtp_password="").problems() == []
    assert "EXAMPLE_SMTP_PASSWORD" in Example.secret_variables()


def test_an_unnamed_stub_is_refused_and_a_named_one_allowed_and_listed():
    unnamed = Example(environment="production", amqp_url=REAL_AMQP, webhook_secret="w" * 32, signing_key="s" * 32,
                      keys={"k1": "k" * 32})
    assert [line.split(":")[0] for line in unnamed.problems()] == ["EXAMPLE_PROVIDER"]
    named = good(provider=STUB)
    assert named.problems() == [] and named.stubs() == ["provider"]
    assert good().stubs() == []


def test_rabbitmqs_guest_account_is_refused_in_production():
    assert good(amqp_url="amqp://guest:guest@127.0.0.1:5672/").problems() == [
        "EXAMPLE_AMQP_URL: uses RabbitMQ's development account guest:guest"]


def test_all_problems_at_once_one_line_each():
    found = Example(environment="production").problems()
    assert [line.split(":")[0] for line in found] == [
        "EXAMPLE_WEBHOOK_SECRET", "EXAMPLE_SIGNING_KEY", "EXAMPLE_KEYS", "EXAMPLE_AMQP_URL", "EXAMPLE_PROVIDER"]


def test_outside_production_nothing_is_a_problem():
    for environment in ("development", "test"):
        assert Example(environment=environment).problems() == []


def test_production_is_the_default(monkeypatch):
    monkeypatch.delenv("EXAMPLE_ENVIRONMENT", raising=False)
    assert Example().environment == "production" and Example().problems()


def test_secrets_never_appear_in_a_repr_or_a_dump():
    settings = good(webhook_secret="very-secret-webhook", signing_key="very-secret-signing",
                    keys={"k1": "very-secret-journal"}, smtp_password="very-secret-smtp")
    for text in (repr(settings), str(settings), str(settings.model_dump()), settings.model_dump_json()):
        assert "very-secret" not in text


def test_environ_reproduces_the_settings_in_another_process(monkeypatch):
    settings = good(webhook_secret="very-secret-webhook", keys={"k1": "journal-key"})
    for name, value in settings.environ().items():
        monkeypatch.setenv(name, value)
    again = Example()
    assert again.webhook_secret.get_secret_value() == "very-secret-webhook"
    assert {k: v.get_secret_value() for k, v in again.keys.items()} == {"k1": "journal-key"}
    assert again.provider == "http" and again.environment == "production" and again.problems() == []


def test_secret_variables_names_every_secret():
    assert Example.secret_variables() == ["EXAMPLE_WEBHOOK_SECRET", "EXAMPLE_SIGNING_KEY", "EXAMPLE_KEYS",
                                          "EXAMPLE_SMTP_PASSWORD"]
    assert Example.secret_variables(required=False) == ["EXAMPLE_SMTP_PASSWORD"]
    assert "EXAMPLE_SMTP_PASSWORD" not in Example.secret_variables(required=True)
