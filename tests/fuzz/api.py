"""`make fuzz`: every service's HTTP API fuzzed from its own OpenAPI document, looking for 5xx answers.

Starts the six services as processes on this run's own databases and queues (tokens signed by a
throw-away key, as in the tests), then runs schemathesis against each service once per role that uses
it: generated and mutated requests (wrong types, odd characters, limits, unknown fields) and stateful
sequences that follow the links between operations. The only check is the one the platform promises:
bad input gets a 4xx problem, never a 500. Each run's report is in ``LOGS/<service>-<role>.txt`` and each
service's log in ``LOGS/<service>.log``. Not part of `make test`: it takes minutes, and schemathesis is
fetched by ``uv tool run`` (pinned below).

    python tests/fuzz/api.py [service …] [--examples N] [--conformance]

``--conformance`` adds schemathesis' ``status_code_conformance`` and ``content_type_conformance``: every answer's
status and media type must be one its operation declares (kit.openapi derives them, issue #22).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from kit import migrations
from kit.testing import RunEnvironment, find_servers, free_port, terminate, wait_until_up
from kit.testing.tokens import TokenIssuer

SCHEMATHESIS = "schemathesis==4.32.5"
LOGS = Path(tempfile.gettempdir()) / "fuzz-api"
SERVICES = ["gateway", "booking", "billing", "logistics", "portal", "notify"]
#: The roles whose requests reach past each service's role checks
ROLES = {
    "gateway": ["admin", "client"],
    "booking": ["therapist", "client", "admin", "care_coordinator"],
    "billing": ["therapist", "client", "admin", "aid_centre_staff"],
    "logistics": ["prescriber", "aid_centre_staff", "admin"],
    "portal": ["client", "care_coordinator", "representative"],
    "notify": ["admin"],
}


async def start(env: RunEnvironment, issuer: TokenIssuer) -> tuple[dict[str, str], list[subprocess.Popen]]:
    ports = {name: free_port() for name in SERVICES}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    processes = []
    for name in SERVICES:
        settings_class = importlib.import_module(f"{name}.settings").Settings
        keys = {"signing_key_pem": issuer.private_pem} if name == "gateway" else {"jwt_public_key": issuer.public_pem}
        routes = {"services": {k: v for k, v in urls.items() if k != "gateway"}} if name == "gateway" else {}
        settings = env.settings(settings_class, http_port=ports[name], log_level="WARNING", **keys, **routes)
        await migrations.upgrade(importlib.import_module(f"{name}.app").ROOT, settings.database_url)
        env.track_queues(list(importlib.import_module(f"{name}.subscribers").consumers.bindings(settings)))
        log = open(LOGS / f"{name}.log", "w")  # noqa: SIM115 - the child keeps it
        processes.append(subprocess.Popen([sys.executable, "-m", name], env=env.env(settings, f"{name.upper()}_"),
                                          stdout=log, stderr=subprocess.STDOUT))
    for url in urls.values():
        await wait_until_up(url, check="live")  # a service's log is in LOGS/<name>.log if one does not come up
    return urls, processes


CONFORMANCE = ("status_code_conformance", "content_type_conformance")


def fuzz(url: str, token: str, report: Path, examples: int, conformance: bool = False) -> bool:
    uv = os.environ.get("UV", "uv").split()  # the Makefile says how it runs uv
    checks = ",".join(("not_a_server_error", *(CONFORMANCE if conformance else ())))
    command = [*uv, "tool", "run", "--from", SCHEMATHESIS, "schemathesis", "run", f"{url}/openapi.json",
               "-H", f"Authorization: Bearer {token}", "--checks", checks,
               "--max-examples", str(examples), "--workers", "2", "--no-color", "--request-timeout", "20"]
    with report.open("w") as out:  # cwd: schemathesis keeps a cache in its working directory
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, cwd=LOGS, check=False)
    text = report.read_text()
    return result.returncode == 0 or ("FAILURES" not in text and "Runtime Error" in text)  # its own crash, not ours


async def main(services: list[str], examples: int, conformance: bool = False) -> int:
    LOGS.mkdir(exist_ok=True)
    issuer = TokenIssuer()
    env = RunEnvironment(find_servers(), "z" + uuid.uuid4().hex[:8])
    urls, processes = await start(env, issuer)
    failed = []
    try:
        for name in services:
            for role in ROLES[name]:
                token = issuer.token(uuid.uuid4(), role, ttl_s=3600, name="Test Fuzz")
                report = LOGS / f"{name}-{role}.txt"
                ok = await asyncio.to_thread(fuzz, urls[name], token, report, examples, conformance)
                print(f"{name:<10} as {role:<18} {'no 5xx' if ok else 'FAILED: ' + str(report)}", flush=True)
                if not ok:
                    failed.append(report)
    finally:
        terminate(*processes)
        await env.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="fuzz every service's API for 5xx answers")
    parser.add_argument("services", nargs="*", metavar="service", help=f"any of {', '.join(SERVICES)} (default: all)")
    parser.add_argument("--examples", type=int, default=25, help="examples per operation and phase")
    parser.add_argument("--conformance", action="store_true", help="also: only declared statuses and media types")
    args = parser.parse_args()
    if unknown := set(args.services) - set(SERVICES):
        parser.error(f"no such service: {', '.join(sorted(unknown))}")
    raise SystemExit(asyncio.run(main(args.services or SERVICES, args.examples, args.conformance)))
