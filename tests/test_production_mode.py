"""Production fails closed: each of the six services, started as ``python -m <service>`` with
``<SERVICE>_ENVIRONMENT=production`` and its development secrets, exits non-zero naming each variable (one
line each); with real values it starts, serves /health/live, and /health/ready lists the stubs it was told
to run.

RabbitMQ's ``guest`` account is refused in production, so the real start uses a broker user made for this
test (``rabbitmqctl add_user`` with a random password, removed afterwards): the same thing an operator
does for a deployment.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import secrets
import shutil
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kit import migrations
from kit.settings import STUB, _AdapterMarker
from kit.testing import RunEnvironment, free_port, wait_until_up

SERVICES = ["gateway", "booking", "billing", "logistics", "portal", "notify"]

#: What each service names when started in production with its development secrets (and the broker's guest
#: account). Notify is told to mail through an SMTP server with a login, so its password becomes required.
REFUSED = {
    "gateway": ["GATEWAY_SIGNING_KEY_PEM", "GATEWAY_IDENTITY_HMAC_KEY", "GATEWAY_AMQP_URL"],
    "booking": ["BOOKING_JOURNAL_KEYS", "BOOKING_AMQP_URL"],
    "billing": ["BILLING_PROVIDER_WEBHOOK_SECRET", "BILLING_AMQP_URL"],
    "logistics": ["LOGISTICS_PARTNER_PSEUDONYM_KEY", "LOGISTICS_AMQP_URL"],
    "portal": ["PORTAL_AMQP_URL"],
    "notify": ["NOTIFY_SMTP_PASSWORD", "NOTIFY_AMQP_URL"],
}


def settings_class(name: str):
    return importlib.import_module(f"{name}.settings").Settings


def prefix(name: str) -> str:
    return settings_class(name).model_config["env_prefix"]


def adapters(name: str) -> list[str]:
    return settings_class(name)._marked(_AdapterMarker)


def rabbitmqctl(*args: str) -> None:
    tool = shutil.which("rabbitmqctl")
    assert tool, "rabbitmqctl is needed to create the broker user a production start requires"
    subprocess.run([tool, *args], check=True, capture_output=True, timeout=60)


@pytest.fixture(scope="module")
def broker_user(test_env: RunEnvironment):
    """A RabbitMQ user of this run with a strong password; its AMQP URL."""
    user, password = f"care-{test_env.run_id}", secrets.token_hex(24)  # hex: never read as an option
    rabbitmqctl("add_user", user, password)
    try:
        rabbitmqctl("set_permissions", "-p", "/", user, ".*", ".*", ".*")
        parts = urlsplit(test_env.servers.amqp_url)
        yield urlunsplit(parts._replace(netloc=f"{user}:{password}@{parts.hostname}:{parts.port or 5672}"))
    finally:
        rabbitmqctl("delete_user", user)


@pytest.fixture(scope="module")
async def run_settings(test_env: RunEnvironment):
    """Each service's settings for this run (its database, exchange, queues, a free port), migrated."""
    found = {}
    for name in SERVICES:
        settings = test_env.settings(settings_class(name), http_port=free_port(), log_level="WARNING")
        test_env.track_queues(list(importlib.import_module(f"{name}.subscribers").consumers.bindings(settings)))
        own_role = settings.database_url.replace("://postgres@", f"://{name}@", 1)  # production refuses the superuser
        await migrations.upgrade(importlib.import_module(f"{name}.app").ROOT, own_role,
                                 admin_url=test_env.servers.postgres_url)
        found[name] = settings.model_copy(update={"database_url": own_role})
    return found


def production_env(test_env: RunEnvironment, settings, name: str, **values: str) -> dict[str, str]:
    env = test_env.env(settings, prefix(name))  # the run's database, exchange, queues and port
    env[f"{prefix(name)}ENVIRONMENT"] = "production"
    env.update({f"{prefix(name)}{key}".upper(): value for key, value in values.items()})
    return env


async def start(name: str, env: dict[str, str], stderr=asyncio.subprocess.PIPE) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(sys.executable, "-m", name, env=env, stdout=asyncio.subprocess.DEVNULL,
                                                stderr=stderr)


async def test_a_production_start_with_development_secrets_exits_naming_each_variable(test_env, run_settings):
    async def refused(name: str) -> tuple[int, list[str]]:
        # the development values, as a deploy that forgot them would run: guest:guest, the default secrets
        extra = {"amqp_url": test_env.servers.amqp_url}
        if name == "notify":
            extra |= {"mail_adapter": "smtp", "smtp_username": "mailer"}
        process = await start(name, production_env(test_env, run_settings[name], name, **extra))
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
        return process.returncode, stderr.decode().splitlines()

    results = dict(zip(SERVICES, await asyncio.gather(*(refused(name) for name in SERVICES)), strict=True))
    for name, (code, lines) in results.items():
        assert code == 2, (name, lines)
        assert lines[0] == f"{name} refuses to start in production:", lines
        named = [line.strip().split(":")[0] for line in lines[1:]]
        assert len(named) == len(set(named)), f"{name}: one line per variable: {lines}"
        assert set(REFUSED[name]) <= set(named), (name, lines)
        # every Secret the code declares as required, and every adapter left unnamed, is among them
        assert set(settings_class(name).secret_variables(required=True)) <= set(named), (name, lines)
        assert all(line.startswith(f"  {prefix(name)}") for line in lines[1:]), lines


def real_values(name: str, amqp_url: str, urls: dict[str, str]) -> dict[str, str]:
    """Strong random secrets of the right shape, the broker user, and every adapter named ``stub``."""
    values = {"amqp_url": amqp_url, "jwt_jwks_url": f"{urls['gateway']}/.well-known/jwks.json"}
    cls = settings_class(name)
    for variable in cls.secret_variables():
        values[variable.removeprefix(prefix(name)).lower()] = secrets.token_urlsafe(32)
    values.update({field: STUB for field in adapters(name)})
    if name == "gateway":
        key = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        values["signing_key_pem"] = key.decode()
        values["services"] = "{" + ", ".join(f'"{n}": "{u}"' for n, u in urls.items() if n != "gateway") + "}"
    if name == "booking":
        values["journal_keys"] = f'{{"prod-1": "{base64.b64encode(secrets.token_bytes(32)).decode()}"}}'
        values["journal_key_current"] = "prod-1"
    if name == "notify":
        values.pop("smtp_password", None), values.pop("sms_api_token", None)  # no SMTP login, SMS stub
    return values


async def test_with_real_values_every_service_starts_and_readiness_lists_its_stubs(test_env, run_settings, broker_user,
                                                                                   tmp_path):
    urls = {name: f"http://127.0.0.1:{settings.http_port}" for name, settings in run_settings.items()}
    processes = {}
    try:
        for name in SERVICES:
            env = production_env(test_env, run_settings[name], name, **real_values(name, broker_user, urls))
            processes[name] = await start(name, env, stderr=(tmp_path / f"{name}.log").open("w"))

        async def up(name: str) -> None:
            waiting = asyncio.create_task(wait_until_up(urls[name], check="ready", timeout=90))
            exited = asyncio.create_task(processes[name].wait())
            done, _ = await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
            if exited in done:
                waiting.cancel()
                raise AssertionError(f"{name} exited: {(tmp_path / f'{name}.log').read_text()[-2000:]}")
            exited.cancel()
            waiting.result()

        await asyncio.gather(*(up(name) for name in SERVICES))
        async with httpx.AsyncClient(timeout=5) as http:
            for name in SERVICES:
                assert (await http.get(f"{urls[name]}/health/live")).json() == {"status": "ok"}
                ready = (await http.get(f"{urls[name]}/health/ready")).json()
                assert ready["environment"] == "production" and ready["status"] == "ready", ready
                assert sorted(ready["stubs"]) == sorted(adapters(name)), ready
            # development routes do not exist in production: 404 whatever the body
            answers = [await http.post(f"{urls['gateway']}/identity/dev/bankid/sign", content=b"{"),
                       await http.get(f"{urls['notify']}/dev/mail"), await http.get(f"{urls['notify']}/dev/sms")]
            for answer in answers:
                assert answer.status_code == 404, answer.text
                assert answer.headers["content-type"].startswith("application/problem+json")
    finally:
        running = list(processes.values())
        for process in running:
            if process.returncode is None:
                process.terminate()
        await asyncio.wait_for(asyncio.gather(*(p.wait() for p in running)), 30)
