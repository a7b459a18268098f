"""People who use the platform, black-box: a ``Person`` talks only to the gateway over HTTP, signs in the way
that person does, and reads what the platform sent them from the development sinks.

- BankID (GW-1): start an order, the development simulator approves it (``POST /identity/dev/bankid/sign``, the
  user's BankID app), collect until complete;
- SITHS (GW-2): the person's development certificate (``var/siths/<username>.pem`` that `make run` writes) on
  the gateway's mutual-TLS port, as a card in a reader does;
- username or email + password, then the six-digit code from the SMS in notify's sink (GW-3, GW-8);
- first-login password change (GW-4) and terms (GW-5) when the gateway asks for them (``GET /identity/me``);
- act-for (GW-6) for representatives;
- mails from notify's ``/dev/mail`` and the links in them.

Nothing here mints a token, touches SQL or imports a service's code: the cast comes from ``kit.demo``.
``Platform`` is every service started the way `make run` starts them (``deploy/run.py``), on this run's own
databases, exchange, queues and ports, with the seeds; one per test session, shared by tests/journeys and
tests/tenancy (``shared_platform``).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx

from kit import demo

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]
RUNNER = REPO / "deploy" / "run.py"
SERVICES = ["gateway", "booking", "billing", "logistics", "portal", "notify"]
#: the runner's ports before RUNNER_PORT_OFFSET (deploy/run.py): six services, the web app, the SMTP sink, the mTLS port
BASE_PORTS = [8000, 8001, 8002, 8003, 8004, 8005, 8006, 8025, 8443]
READY_TIMEOUT_S = 300.0
CODE = re.compile(r"\b(\d{6})\b")
LINK = re.compile(r"https?://[^\s<>\"')]+")


def wait_for(check: Callable[[], T], *, what: str, timeout: float = 20.0, interval: float = 0.2) -> T:
    """Poll ``check()`` until it returns something truthy (returned); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def ok(response: httpx.Response, *statuses: int) -> Any:
    """The JSON of an answer that must be one of ``statuses`` (200/201/202/204 when none are given)."""
    expected = statuses or (200, 201, 202, 204)
    assert response.status_code in expected, (
        f"{response.request.method} {response.request.url.path} answered {response.status_code}: {response.text[:800]}")
    if response.status_code == 204 or not response.content:
        return None
    if response.headers.get("content-type", "").split(";")[0].endswith("json"):
        return response.json()
    return response.content


def refused(response: httpx.Response, *statuses: int) -> dict:
    """A refusal as the tenancy rules want it (#18): a problem+json 403 or 404 (``statuses`` narrows it),
    never a 200 or a 5xx. Returns the problem."""
    expected = statuses or (403, 404)
    assert response.status_code in expected, (
        f"{response.request.method} {response.request.url.path} answered {response.status_code}, not one of "
        f"{expected}: {response.text[:500]}")
    assert response.headers.get("content-type", "").startswith("application/problem+json"), response.headers
    return response.json()


# -- the platform --------------------------------------------------------------------------------------------
@dataclass
class Platform:
    """Every service as `make run` starts them; URLs and the files a person has (SITHS certificates)."""

    gateway: str
    notify: str
    mtls: str
    #: the web app (services/web), which people use in a browser (tests/web/)
    web: str
    siths: Path
    partner_exchange: str
    amqp_url: str
    run_id: str
    log: Path
    _people: dict[str, Person] = field(default_factory=dict)

    # people ---------------------------------------------------------------------------------------------
    def person(self, label: str = "someone") -> Person:
        """Someone who has not signed in yet."""
        return Person(self, label)

    def sign_in(self, username: str) -> Person:
        """A person of the demo cast (kit.demo), signed in as they do: SITHS when they have an HSA-ID, BankID
        when they have a personal number, else username + password + SMS code (email + password for a
        therapist without a phone). Cached per username: one sign-in per session."""
        if username not in self._people:
            self._people[username] = self.person(username).sign_in_as_demo(username)
        return self._people[username]

    # the development sinks (notify, never through the gateway: it forwards no /dev/ path) --------------
    def mails(self, to: str) -> list[dict]:
        return ok(httpx.get(f"{self.notify}/dev/mail", params={"to": to, "limit": 200}, timeout=10))

    def sms(self, to: str) -> list[dict]:
        return ok(httpx.get(f"{self.notify}/dev/sms", params={"to": to, "limit": 200}, timeout=10))

    def mail(self, to: str, subject: str = "", *, body: str = "", after: datetime | None = None,
             timeout: float = 30) -> dict:
        """The newest mail to ``to`` whose subject contains ``subject`` (and body ``body``), received after
        ``after``: waits for it."""
        def find() -> dict | None:
            return next((m for m in self.mails(to) if subject.lower() in m["subject"].lower() and body in m["body"]
                         and (after is None or _instant(m["received_at"]) > after)), None)

        return wait_for(find, what=f"a mail to {to} about {subject!r}", timeout=timeout)

    def last_received(self, to: str, channel: str = "mail") -> datetime | None:
        """When the newest mail (or SMS) to ``to`` arrived: pass it as ``after`` to wait for the next one."""
        found = self.mails(to) if channel == "mail" else self.sms(to)
        return _instant(found[0]["received_at"]) if found else None

    def code(self, phone: str, after: datetime | None, *, timeout: float = 60) -> str:
        """The six-digit code of the newest SMS to ``phone`` received after ``after``."""
        def find() -> str | None:
            for message in self.sms(phone):
                if after is None or _instant(message["received_at"]) > after:
                    found = CODE.search(message["body"])
                    return found[1] if found else None
            return None

        # the first code of a fresh platform may wait for notify to have the account's phone (an event)
        return wait_for(find, what=f"the SMS code to {phone}", timeout=timeout)

    @staticmethod
    def links(mail: dict) -> list[str]:
        return LINK.findall(mail["body"])

    @staticmethod
    def token_in(link: str) -> str:
        """The token a mail's link carries, as its web page reads it: ``?token=`` or the last path segment."""
        parts = urlsplit(link)
        query = parse_qs(parts.query)
        return query["token"][0] if "token" in query else parts.path.rstrip("/").rsplit("/", 1)[-1]


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Person:
    """One person with one browser-like HTTP client to the gateway. ``get``/``post``/... send the person's
    bearer token (when signed in); paths are the gateway's (``/identity/...``, ``/api/<service>/...``)."""

    def __init__(self, platform: Platform, label: str, http: httpx.Client | None = None) -> None:
        self.platform = platform
        self.label = label
        self.http = http or httpx.Client(base_url=platform.gateway, timeout=30)
        self.tokens: dict | None = None
        self.password: str | None = None
        self.username: str | None = None

    def __repr__(self) -> str:
        return f"Person({self.label})"

    # requests -------------------------------------------------------------------------------------------
    def headers(self, extra: dict | None = None) -> dict:
        found = {"Authorization": f"Bearer {self.tokens['access_token']}"} if self.tokens else {}
        return found | (extra or {})

    def request(self, method: str, path: str, *, headers: dict | None = None, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, headers=self.headers(headers), **kwargs)
        if response.status_code == 401 and self.tokens and self._refresh():  # a long session: as an app does
            response = self.http.request(method, path, headers=self.headers(headers), **kwargs)
        return response

    def _refresh(self) -> bool:
        refreshed = self.http.post("/identity/token/refresh", json={"refresh_token": self.tokens["refresh_token"]})
        if refreshed.status_code != 200:
            return False
        self.tokens = refreshed.json()
        return True

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", path, **kwargs)

    @property
    def me(self) -> dict:
        return ok(self.get("/identity/me"))

    @property
    def id(self) -> str:
        return self.me["id"]

    # signing in -----------------------------------------------------------------------------------------
    def bankid(self, personal_number: str, name: str) -> Person:
        """GW-1: start, the simulator (the person's BankID app) signs, collect until complete."""
        started = ok(self.http.post("/identity/bankid/auth"))
        ref = started["order_ref"]
        pending = ok(self.http.post("/identity/bankid/collect", json={"order_ref": ref}))
        assert pending["status"] == "pending", pending
        ok(self.http.post("/identity/dev/bankid/sign", json={"order_ref": ref, "personal_number": personal_number,
                                                              "name": name}), 204)

        def collected() -> dict | None:
            answer = ok(self.http.post("/identity/bankid/collect", json={"order_ref": ref}))
            assert answer["status"] != "failed", answer
            return answer if answer["status"] == "complete" else None

        self.tokens = wait_for(collected, what="the BankID order to complete")["tokens"]
        return self.finish_signing_in()

    def siths(self, username: str) -> Person:
        """GW-2: the person's card (the development certificate ``var/siths/<username>.pem``) on the mTLS port."""
        directory = self.platform.siths
        context = ssl.create_default_context(cafile=str(directory / "ca.pem"))
        context.load_cert_chain(directory / f"{username}.pem", directory / f"{username}-key.pem")
        with httpx.Client(base_url=self.platform.mtls, verify=context, timeout=30) as card:
            self.tokens = ok(card.post("/identity/siths/login"))
        return self.finish_signing_in()

    def password_login(self, username: str, password: str, phone: str | None, *, email: str | None = None,
                       new_password: str | None = None) -> Person:
        """GW-3: username and password, then the code the SMS to ``phone`` carries (or, for an account with no
        phone, the mail to ``email``); a temporary password is changed to ``new_password`` (GW-4) and the
        terms accepted (GW-5) when asked."""
        for attempt in range(3):  # no code after a while: as a person does, sign in again for a new one
            sms_before = self.platform.last_received(phone, "sms") if phone else None
            mail_before = self.platform.last_received(email) if email else None
            started = ok(self.http.post("/identity/password/login", json={"username": username, "password": password}))
            try:
                if started.get("sent_to") == "email" or not phone:
                    assert email, f"the code for {username} went by email: say which"
                    mail = self.platform.mail(email, after=mail_before, timeout=30)
                    code = CODE.search(mail["body"])[1]
                else:
                    code = self.platform.code(phone, sms_before, timeout=30)
                break
            except AssertionError:
                if attempt == 2:
                    raise
        answer = self.http.post("/identity/password/code", json={"attempt_id": started["attempt_id"], "code": code})
        if answer.status_code == 401 and phone and attempt:  # a late SMS of an earlier try: the next one is this try's
            used = _instant(self.platform.sms(phone)[0]["received_at"])
            answer = self.http.post("/identity/password/code", json={
                "attempt_id": started["attempt_id"], "code": self.platform.code(phone, used, timeout=30)})
        self.tokens = ok(answer)
        self.username, self.password = username, password
        return self.finish_signing_in(new_password=new_password)

    def email_login(self, email: str, password: str) -> Person:
        """GW-8: a therapist who signed up with email and password."""
        self.tokens = ok(self.http.post("/identity/email/login", json={"email": email, "password": password}))
        self.password = password
        return self.finish_signing_in()

    def finish_signing_in(self, *, new_password: str | None = None) -> Person:
        """What the gateway still asks after the credentials: a new password, then the terms."""
        me = self.me
        if me["must_change_password"]:
            new_password = new_password or f"Eget-Losenord-{uuid.uuid4().hex[:6]}-9"
            self.tokens = ok(self.post("/identity/password/change", json={"current_password": self.password,
                                                                           "new_password": new_password}))
            self.password = new_password
            me = self.me
        if me["terms_required"]:
            self.tokens = ok(self.post("/identity/terms/accept", json={"version": me["terms_required"]}))
        assert self.tokens and self.tokens["scope"] == "full", self.tokens
        return self

    def sign_in_as_demo(self, username: str) -> Person:
        person = demo.BY_USERNAME[username]
        self.username = username
        if person.hsa_id:
            return self.siths(username)
        if person.personal_number:
            return self.bankid(person.personal_number, person.display_name)
        if person.phone or "SMS" in person.sign_in:
            return self.password_login(username, demo.PASSWORD, person.phone, email=person.email)
        assert person.email, f"{username} has no way to sign in"
        return self.email_login(person.email, demo.PASSWORD)

    def add_email(self, email: str) -> dict:
        """GW-11: add an email; the code in the mail sent there confirms it."""
        before = self.platform.last_received(email)
        sent = ok(self.post("/identity/me/email", json={"email": email}), 202)
        mail = self.platform.mail(email, after=before)
        code = CODE.search(mail["body"])[1]
        return ok(self.post("/identity/me/contact/confirm", json={"verification_id": sent["verification_id"],
                                                                   "code": code}))

    def forgot_password(self, login: str, email: str, phone: str | None, new_password: str) -> None:
        """GW-10: "Wachtwoord vergeten?": the link in the mail, a new password, the SMS code where the
        account has a phone; then sign in with the new password."""
        before = self.platform.last_received(email)
        ok(self.http.post("/identity/password/forgot", json={"login": login}), 202)
        mail = self.platform.mail(email, after=before)
        token = self.platform.token_in(self.platform.links(mail)[0])
        assert ok(self.http.post("/identity/password/reset/check", json={"token": token}))["step"] == "choose-password"
        sms_before = self.platform.last_received(phone, "sms") if phone else None
        step = ok(self.http.post("/identity/password/reset", json={"token": token, "new_password": new_password}))
        if step["step"] == "code":
            assert phone, "a code is asked only where the account has a phone"
            code = self.platform.code(phone, sms_before)
            step = ok(self.http.post("/identity/password/reset/code", json={"token": token, "code": code}))
        assert step["step"] == "done", step
        again = self.http.post("/identity/password/reset", json={"token": token, "new_password": new_password + "x"})
        assert again.status_code in (400, 404, 409, 410), "the link works once"
        self.password = new_password

    def act_for(self, client_id: str) -> Person:
        """GW-6: a representative opens one client's portal: a second view of this person acting for them."""
        acting = Person(self.platform, f"{self.label} for {client_id}", self.http)
        acting.tokens = ok(self.post("/identity/act-for", json={"client_id": str(client_id)}))
        return acting

    def sign_out(self) -> None:
        if self.tokens:
            ok(self.http.post("/identity/logout", json={"refresh_token": self.tokens["refresh_token"]}), 204)
            self.tokens = None


# -- starting the platform ---------------------------------------------------------------------------------
def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_block_offset() -> int:
    """An offset that puts the runner's ports on free ports below the ephemeral range (as tests/test_runner.py)."""
    for _ in range(200):
        offset = random.randrange(12000, 23500)
        if all(_bindable(port + offset) for port in BASE_PORTS):
            return offset
    raise AssertionError("no free block of ports for the platform")


PROCESS_LINE = re.compile(r"^[a-z0-9-]+ +\| ")


def _runner_done(output: str) -> bool:
    """The runner printed its table and, where `make run` makes demo activity through the gateway after it
    (deploy/demo_activity.py: the paid and cancelled bookings), reported that too."""
    if "All services are ready" not in output:
        return False
    if not (RUNNER.parent / "demo_activity.py").exists():
        return True
    after = output.split("Ctrl-C stops everything.", 1)
    return len(after) == 2 and any(line.strip() and not PROCESS_LINE.match(line) for line in after[1].splitlines())


def _poll_ready(gateway: str, child: subprocess.Popen, log: Path) -> None:
    """The gateway's /health/services reports every service's readiness: poll it (never sleep a fixed time)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    last = "no answer"
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise AssertionError(f"deploy/run.py exited with {child.returncode}:\n{log.read_text()[-4000:]}")
        try:
            response = httpx.get(f"{gateway}/health/services", timeout=2)
            if response.status_code == 200 and _runner_done(log.read_text()):
                return
            last = response.text
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.5)
    raise AssertionError(f"the platform was not ready after {READY_TIMEOUT_S:.0f} s ({last[:300]}):\n"
                         f"{log.read_text()[-4000:]}")


class Started:
    """The runner process and what it made; ``stop()`` ends it and removes the run's databases and queues."""

    def __init__(self) -> None:
        from kit.testing import RunEnvironment, find_servers  # fixtures' helpers: servers and cleanup

        self.run_id = "j" + uuid.uuid4().hex[:8]
        self.env = RunEnvironment(find_servers(), self.run_id)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"journeys-{self.run_id}-"))
        self.child: subprocess.Popen | None = None
        self.platform: Platform | None = None

    def start(self) -> Platform:
        import importlib

        env = dict(os.environ)
        queue_prefix = f"{self.env.queue_prefix}platform."
        for name in SERVICES:
            prefix = name.upper()
            url = self.env.servers.database_url(f"{name}_journeys_{self.run_id}")
            self.env.databases.add(url)  # dropped at the end as the superuser
            # each service logs in as its own role, as `make run` does; migrate makes it with the superuser
            env[f"{prefix}_DATABASE_URL"] = url.replace("://postgres@", f"://{name}@", 1)
            env[f"{prefix}_DATABASE_ADMIN_URL"] = self.env.servers.postgres_url
            env[f"{prefix}_EXCHANGE"] = self.env.exchange
            env[f"{prefix}_QUEUE_PREFIX"] = queue_prefix
            env[f"{prefix}_AMQP_URL"] = self.env.servers.amqp_url
            # small pools: the PostgreSQL server is shared with every other run on the machine
            env.setdefault(f"{prefix}_DATABASE_POOL_SIZE", "3")
            env.setdefault(f"{prefix}_DATABASE_MAX_OVERFLOW", "3")
            env.setdefault(f"{prefix}_CONSUMER_CONCURRENCY", "3")
            env.pop(f"{prefix}_ENVIRONMENT", None)  # the runner says development, as `make run`
            consumers = importlib.import_module(f"{name}.subscribers").consumers
            self.env.track_queues([f"{queue_prefix}{name}.{purpose}" for purpose in consumers.queues])
        # every person of the session signs in from 127.0.0.1: the per-address limits would count them as one
        # (the per-account limits stay as they are)
        env.setdefault("GATEWAY_CODES_PER_IP_PER_10_MIN", "1000")
        env.setdefault("GATEWAY_THROTTLE_IP_FAILURES", "1000")
        # GR-3: a group appointment's notice goes five minutes after its last change; a few seconds here, so that a
        # test sees the one notice that replaced the earlier ones without waiting five minutes (the rule is the same)
        env.setdefault("NOTIFY_GROUP_NOTICE_DELAY_S", "3")
        partner_exchange = f"partner.logistics.{self.run_id}"
        env["LOGISTICS_PARTNER_EXCHANGE"] = partner_exchange
        offset = free_block_offset()
        env["RUNNER_PORT_OFFSET"] = str(offset)
        log = self.workdir / "platform.log"
        # the working directory holds var/siths/ (the development CA and the demo people's cards), as in a clone
        # deploy/run.py as `make run` runs it, with a longer readiness deadline than its 60 s for a loaded machine
        launch = (f"import asyncio, sys; sys.path.insert(0, {str(RUNNER.parent)!r}); import run; "
                  f"run.READY_TIMEOUT_S = {READY_TIMEOUT_S}; raise SystemExit(asyncio.run(run.main(False)))")
        self.child = subprocess.Popen([sys.executable, "-c", launch], cwd=self.workdir, env=env,
                                      stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)
        gateway = f"http://127.0.0.1:{8000 + offset}"
        _poll_ready(gateway, self.child, log)
        self.platform = Platform(gateway=gateway, notify=f"http://127.0.0.1:{8005 + offset}", web=f"http://127.0.0.1:{8006 + offset}",
                                 mtls=f"https://127.0.0.1:{8443 + offset}", siths=self.workdir / "var" / "siths",
                                 partner_exchange=partner_exchange, amqp_url=self.env.servers.amqp_url,
                                 run_id=self.run_id, log=log)
        return self.platform

    def stop(self) -> None:
        if self.child and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)  # the runner stops its children (SIGKILL after 10 s)
            try:
                self.child.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.child.pid, signal.SIGKILL)  # the group this fixture started, nothing else
                self.child.wait(10)
        self.env.queues.add(f"partner-region.{self.run_id}")

        async def cleanup() -> None:
            await self.env.cleanup()
            import aio_pika

            connection = await aio_pika.connect(self.env.servers.amqp_url)
            async with connection:
                try:
                    await (await connection.channel()).exchange_delete(f"partner.logistics.{self.run_id}")
                except Exception:  # noqa: BLE001 - best effort; names are per run
                    pass

        try:  # best effort, bounded: names are per run, so a leftover harms no other run
            asyncio.run(asyncio.wait_for(cleanup(), 180))
        except (TimeoutError, OSError) as exc:
            print(f"journeys: cleaning up run {self.run_id} stopped: {exc!r}", file=sys.stderr)
        if not os.environ.get("JOURNEYS_KEEP_LOG"):  # set it to keep the platform's log and var/siths/
            shutil.rmtree(self.workdir, ignore_errors=True)


_STARTED: Started | None = None


def shared_platform(config: Any) -> Platform:
    """The session's one platform, started on first use; stopped when pytest ends (``config.add_cleanup``)."""
    global _STARTED
    if _STARTED is None:
        started = Started()
        _STARTED = started
        config.add_cleanup(started.stop)
        started.start()
    assert _STARTED.platform is not None, "the platform failed to start earlier in this session"
    return _STARTED.platform
