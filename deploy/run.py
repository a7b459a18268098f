"""The local runner behind `make run`: every service and its outbox relay as child processes.

1. makes sure PostgreSQL and RabbitMQ run (deploy/servers.py);
2. creates and migrates each service's database (`python -m <service> migrate`, all at once);
3. starts each service (`python -m <service>`) and, once all are ready (every consumer's queue is bound),
   its relay (`python -m <service> relay`), with every output line prefixed by the process's name;
4. starts the web app (`python -m web`: no database, no relay), whose pages the mails' links open;
5. waits until every service answers 200 on /health/ready (60 s at most) and prints the URLs;
6. supervises: a child that exits (a service, a relay, the web app) is started again after a back-off
   (0.5 s, doubling to 15 s, back to 0.5 s once it has stayed up for 60 s), its name, exit code and new pid in
   the log; the others go on. A child that exits while the platform is starting stops the start (exit 1);
7. Ctrl-C (or SIGTERM) stops everything: SIGTERM to each child, SIGKILL after 10 s; the runner exits 0.

Every child's pid is logged when it starts: `<name> started (pid <pid>)`.

Options and environment:
- `--exit-when-ready`: start, wait until ready, print the table, stop everything, exit 0 (tests, CI);
- `REPLICAS_<service>=N` (e.g. REPLICAS_booking=2): N instances of that service, on ports base + 100·i;
- `RUNNER_PORT_OFFSET=1000`: shift every port (to run beside another `make run`);
- any `<SERVICE>_…` variable is passed through to that service (database URL, exchange, …).
Adding a process: append a `Process` to `processes()` below.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import servers  # noqa: E402

SERVICES = {"gateway": 8000, "booking": 8001, "billing": 8002, "logistics": 8003, "portal": 8004, "notify": 8005}
#: Front-ends: no database, no relay, no events; they talk to the gateway only
FRONT_ENDS = {"web": 8006}
SMTP_SINK_PORT = 8025
#: The gateway's mutual-TLS port for SITHS logins with the development CA's certificates (var/siths/)
MTLS_PORT = 8443
READY_TIMEOUT_S = 60.0
#: How long a child has after SIGTERM before SIGKILL
GRACE_S = 10.0
#: Restart back-off: the first delay, doubled after each quick exit up to the cap, reset once a child has stayed up
BACKOFF_FIRST_S, BACKOFF_MAX_S, STEADY_S = 0.5, 15.0, 60.0
COLOURS = [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96]


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    health_url: str | None = None
    child: asyncio.subprocess.Process | None = None


def offset() -> int:
    return int(os.environ.get("RUNNER_PORT_OFFSET", "0"))


def service_urls() -> dict[str, str]:
    return {name: f"http://127.0.0.1:{port + offset()}" for name, port in SERVICES.items()}


def web_url() -> str:
    return f"http://127.0.0.1:{FRONT_ENDS['web'] + offset()}"


def environment(name: str) -> dict[str, str]:
    """``<SERVICE>_ENVIRONMENT=development`` unless set: a service defaults to production, which refuses
    development secrets and stubs, so every process the runner starts (migrate and seed too) says it."""
    variable = f"{name.upper()}_ENVIRONMENT"
    return {variable: os.environ.get(variable, "development")}


def processes() -> list[Process]:
    python = sys.executable
    urls = service_urls()
    gateway_services = "{" + ", ".join(f'"{n}": "{u}"' for n, u in urls.items() if n != "gateway") + "}"
    found: list[Process] = []
    for name, port in SERVICES.items():
        prefix = name.upper()
        replicas = int(os.environ.get(f"REPLICAS_{name}", "1"))
        common = {**environment(name),
                  # tokens are checked against this run's gateway (its port moves with RUNNER_PORT_OFFSET)
                  f"{prefix}_JWT_JWKS_URL": os.environ.get(f"{prefix}_JWT_JWKS_URL", f"{urls['gateway']}/.well-known/jwks.json"),
                  # sessions ended before this process started (kit.sessions), from the same gateway
                  f"{prefix}_SESSIONS_ENDED_URL": os.environ.get(f"{prefix}_SESSIONS_ENDED_URL",
                                                                 f"{urls['gateway']}/identity/sessions/ended")}
        if name != "gateway":  # the gateway in front believes its own client address (kit.net)
            common[f"{prefix}_TRUSTED_PROXIES"] = os.environ.get(f"{prefix}_TRUSTED_PROXIES", '["127.0.0.1"]')
        if name == "gateway":
            common["GATEWAY_SERVICES"] = os.environ.get("GATEWAY_SERVICES", gateway_services)
            if common["GATEWAY_ENVIRONMENT"] == "development":  # SITHS with the development CA (gateway.devca)
                siths = {"GATEWAY_SITHS_CA_BUNDLE": "var/siths/ca.pem", "GATEWAY_MTLS_PORT": str(MTLS_PORT + offset()),
                         "GATEWAY_MTLS_CERTFILE": "var/siths/gateway.pem", "GATEWAY_MTLS_KEYFILE": "var/siths/gateway-key.pem"}
                common.update({key: os.environ.get(key, value) for key, value in siths.items()})
        if name in ("gateway", "booking", "notify"):  # the links in their mails open the web app's pages
            common[f"{prefix}_APP_BASE_URL"] = os.environ.get(f"{prefix}_APP_BASE_URL", web_url())
        if name == "billing":
            common["BILLING_STUB_WEBHOOK_URL"] = os.environ.get("BILLING_STUB_WEBHOOK_URL", f"{urls['billing']}/webhooks/provider")
        if name == "notify":
            common["NOTIFY_SMTP_PORT"] = os.environ.get("NOTIFY_SMTP_PORT", str(SMTP_SINK_PORT + offset()))
        for replica in range(replicas):
            instance_port = port + offset() + 100 * replica
            label = name if replica == 0 else f"{name}-{replica + 1}"
            found.append(Process(label, [python, "-m", name],
                                 {**common, f"{prefix}_HTTP_PORT": str(instance_port)},
                                 f"http://127.0.0.1:{instance_port}/health/ready"))
        found.append(Process(f"{name}-relay", [python, "-m", name, "relay"], common))
        if name == "notify":  # the development SMTP sink: notify's mails land there (GET /dev/mail)
            found.append(Process("smtp-sink", [python, "-m", "notify", "smtp-sink"], common))
    port = FRONT_ENDS["web"] + offset()
    found.append(Process("web", [python, "-m", "web"], {
        **environment("web"), "WEB_HTTP_PORT": str(port), "WEB_GATEWAY_URL": os.environ.get("WEB_GATEWAY_URL", urls["gateway"]),
        # the gateway's mutual-TLS port, where the web app's SITHS page sends the browser with its card
        "WEB_SITHS_URL": os.environ.get("WEB_SITHS_URL", f"https://127.0.0.1:{MTLS_PORT + offset()}")},
        f"http://127.0.0.1:{port}/health/ready"))
    return found


async def pipe(process: Process, colour: int, width: int) -> None:
    assert process.child and process.child.stdout
    tag = f"\033[{colour}m{process.name:<{width}}\033[0m |" if sys.stdout.isatty() else f"{process.name:<{width}} |"
    async for line in process.child.stdout:
        sys.stdout.write(f"{tag} {line.decode(errors='replace').rstrip()}\n")
        sys.stdout.flush()


async def run_command(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    child = await asyncio.create_subprocess_exec(*argv, env=env, stdout=asyncio.subprocess.PIPE,
                                                 stderr=asyncio.subprocess.STDOUT)
    output, _ = await child.communicate()
    return child.returncode or 0, output.decode(errors="replace")


def admin(name: str) -> dict[str, str]:
    """Each service logs in as its own role; its migrate makes the role and the database with the local
    superuser (servers.POSTGRES) unless told otherwise."""
    variable = f"{name.upper()}_DATABASE_ADMIN_URL"
    return {variable: os.environ.get(variable, servers.POSTGRES)}


async def migrate(env: dict[str, str]) -> None:
    results = await asyncio.gather(*(run_command([sys.executable, "-m", name, "migrate"],
                                                 {**env, **environment(name), **admin(name)})
                                     for name in SERVICES))
    failed = [(name, out) for name, (code, out) in zip(SERVICES, results, strict=True) if code != 0]
    for name, out in failed:
        print(f"migrating {name} failed:\n{out}", file=sys.stderr)
    if failed:
        raise SystemExit(1)
    print(f"migrated {len(SERVICES)} databases", flush=True)
    if environment("gateway")["GATEWAY_ENVIRONMENT"] == "development":  # invented demo data
        # each seed writes only its own service's database (and outbox), so they run side by side
        seeds = (["gateway", "seed"], ["booking", "seed"], ["logistics", "seed"], ["portal", "seed"],
                 ["gateway", "devca"])
        results = await asyncio.gather(*(run_command([sys.executable, "-m", *argv], {**env, **environment(argv[0])})
                                         for argv in seeds))
        for argv, (code, out) in zip(seeds, results, strict=True):
            print(out.strip().splitlines()[-1] if out.strip() else f"{' '.join(argv)} exited {code}", flush=True)


async def demo_activity() -> None:
    """The demo's paid and cancelled bookings, made through the gateway as a client does (deploy/demo_activity.py);
    development only, idempotent. A failure is reported, not fatal: the services run on."""
    if environment("gateway")["GATEWAY_ENVIRONMENT"] != "development":
        return
    code, out = await run_command([sys.executable, str(HERE / "demo_activity.py"), "--gateway", service_urls()["gateway"]],
                                  dict(os.environ))
    lines = out.strip().splitlines()
    print(lines[-1] if lines else f"demo_activity.py exited {code}", flush=True)


async def wait_ready(procs: list[Process], stop: asyncio.Event) -> dict[str, str]:
    pending = {p.name: p.health_url for p in procs if p.health_url}
    last: dict[str, str] = {}
    deadline = time.monotonic() + READY_TIMEOUT_S
    async with httpx.AsyncClient(timeout=2.0) as client:
        while pending and time.monotonic() < deadline and not stop.is_set():
            for name, url in list(pending.items()):
                try:
                    response = await client.get(url)
                    last[name] = response.text
                    if response.status_code == 200:
                        del pending[name]
                except httpx.HTTPError as exc:
                    last[name] = repr(exc)
            dead = [p for p in procs if p.child and p.child.returncode is not None]
            if dead:
                raise RuntimeError(f"{dead[0].name} exited with {dead[0].child.returncode} while starting")
            if pending:
                await asyncio.sleep(0.5)
    return {name: last.get(name, "no answer") for name in pending}


def print_table(procs: list[Process], started: float) -> None:
    urls = service_urls()
    print(f"\nAll services are ready ({time.monotonic() - started:.1f} s):\n", flush=True)
    print(f"  {'service':<10} {'URL':<24} OpenAPI docs")
    for name, url in urls.items():
        print(f"  {name:<10} {url:<24} {url}/docs")
    print(f"  {'web':<10} {web_url():<24} sign in at {web_url()}/sign-in; the pages behind the links in the mails")
    print(f"\n  Through the gateway:   {urls['gateway']}/api/<service>/<path>")
    print(f"  Everything ready:      curl {urls['gateway']}/health/services")
    print("  AsyncAPI (events):     docs/asyncapi.json")
    print(f"  Mails and SMS sent:    {urls['notify']}/dev/mail   {urls['notify']}/dev/sms")
    if gateway := next((p for p in procs if p.name == "gateway" and "GATEWAY_MTLS_PORT" in p.env), None):
        print(f"  SITHS (mutual TLS):    https://127.0.0.1:{gateway.env['GATEWAY_MTLS_PORT']}  certificates in var/siths/")
    extra = [p.name for p in procs if not p.health_url]
    print(f"  Also running:          {', '.join(extra)}\n", flush=True)
    print_workflows()
    print("  Ctrl-C stops everything.\n", flush=True)


def print_workflows() -> None:
    """Per workflow, whom to sign in as and how (the invented demo cast of kit.demo)."""
    from kit import demo

    print(f"  Sign in as (every password is {demo.PASSWORD}; SMS codes and mails appear in /dev/sms and /dev/mail):\n")
    print(f"  {'workflow':<62} {'account':<20} how")
    for workflow, username in demo.WORKFLOWS:
        person = demo.BY_USERNAME[username]
        how = person.sign_in.replace("<username>", username)
        if person.personal_number and "BankID" in how:
            how += f"; BankID test number {person.personal_number}"
        print(f"  {workflow:<62} {username:<20} {how}")
    print()


async def stopped_during(stop: asyncio.Event, awaitable: Awaitable[object] | None = None,
                         timeout: float | None = None) -> bool:
    """Await ``awaitable`` (or just ``timeout`` seconds); True when ``stop`` was set first."""
    stopper = asyncio.ensure_future(stop.wait())
    tasks = {stopper} | ({asyncio.ensure_future(awaitable)} if awaitable else set())
    done, pending = await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    return stopper in done


async def supervise(p: Process, start: Callable[[Process], Awaitable[None]], stop: asyncio.Event) -> None:
    """Start ``p`` again each time it exits, after a back-off, until ``stop`` is set."""
    delay = BACKOFF_FIRST_S
    while True:
        began = time.monotonic()
        if await stopped_during(stop, p.child.wait()):
            return
        if time.monotonic() - began >= STEADY_S:
            delay = BACKOFF_FIRST_S
        print(f"{p.name} exited with {p.child.returncode}; restarting in {delay:.1f} s", flush=True)
        if await stopped_during(stop, timeout=delay):
            return
        await start(p)
        delay = min(delay * 2, BACKOFF_MAX_S)


async def stop_all(procs: list[Process]) -> None:
    running = [p for p in procs if p.child and p.child.returncode is None]
    for p in running:
        p.child.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(asyncio.gather(*(p.child.wait() for p in running)), GRACE_S)
    except TimeoutError:
        for p in running:
            if p.child.returncode is None:
                print(f"{p.name} did not stop in {GRACE_S:.0f} s: killing it", flush=True)
                p.child.kill()
        await asyncio.gather(*(p.child.wait() for p in running))


async def main(exit_when_ready: bool) -> int:
    started = time.monotonic()
    servers.main()
    env = dict(os.environ)
    await migrate(env)
    procs = processes()
    width = max(len(p.name) for p in procs)
    colours = {p.name: COLOURS[i % len(COLOURS)] for i, p in enumerate(procs)}
    readers = []

    async def start(p: Process) -> None:
        p.child = await asyncio.create_subprocess_exec(*p.argv, env={**env, **p.env, "PYTHONUNBUFFERED": "1"},
                                                       stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
        print(f"{p.name} started (pid {p.child.pid})", flush=True)
        readers.append(asyncio.create_task(pipe(p, colours[p.name], width)))

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # The relays start once every service is ready, so every consumer's queue is bound by then: the seeds'
    # events (the directory, the demo accounts) reach every service even on the very first run.
    relays = [p for p in procs if p.name.endswith("-relay")]
    supervisors: list[asyncio.Task] = []
    try:
        for p in procs:
            if p not in relays:
                await start(p)
        not_ready = await wait_ready(procs, stop)
        if stop.is_set():
            return 0
        if not_ready:
            for name, body in not_ready.items():
                print(f"{name} is not ready after {READY_TIMEOUT_S:.0f} s: {body[:500]}", file=sys.stderr)
            return 1
        for p in relays:
            await start(p)
        print_table(procs, started)
        await demo_activity()
        if exit_when_ready:
            return 0
        supervisors = [asyncio.create_task(supervise(p, start, stop)) for p in procs]
        await stop.wait()
        return 0
    except RuntimeError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        stop.set()
        await asyncio.gather(*supervisors)  # none starts a child any more
        await stop_all(procs)
        if readers:  # the children's last lines are written before the runner's own
            _, unfinished = await asyncio.wait(readers, timeout=2)
            for reader in unfinished:
                reader.cancel()
        print("stopped.", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--exit-when-ready", action="store_true", help="stop everything once all are ready")
    raise SystemExit(asyncio.run(main(parser.parse_args().exit_when_ready)))
