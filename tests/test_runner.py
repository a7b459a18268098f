"""`make run` brings all six services and the web app to ready: the local runner, run as CI would, on this run's own
databases, exchange and ports."""

from __future__ import annotations

import importlib
import importlib.util
import os
import random
import socket
import subprocess
import sys
from pathlib import Path

import pytest

SERVICES = ["gateway", "booking", "billing", "logistics", "portal", "notify"]
FRONT_ENDS = ["web"]
RUNNER = Path(__file__).resolve().parents[1] / "deploy" / "run.py"


def free_block_offset() -> int:
    """An offset that puts the runner's six ports on free ports clear of a developer's `make run` and below
    the kernel's ephemeral range (32768 and up), where outgoing connections could take one meanwhile."""
    for _ in range(100):
        offset = random.randrange(12000, 24000)  # ports 20000–32005
        if all(_bindable(8000 + offset + i) for i in range(len(SERVICES) + len(FRONT_ENDS))):
            return offset
    raise AssertionError("no free block of ports for the runner")


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.slow
def test_runner_starts_every_service_and_relay_until_ready(test_env):
    env = dict(os.environ)
    for name in SERVICES:
        prefix = name.upper()
        url = test_env.servers.database_url(f"{name}_runner_{test_env.run_id}")
        test_env.databases.add(url)
        env[f"{prefix}_DATABASE_URL"] = url
        env[f"{prefix}_EXCHANGE"] = test_env.exchange
        queue_prefix = f"{test_env.queue_prefix}runner."  # apart from the in-process services of other tests
        env[f"{prefix}_QUEUE_PREFIX"] = queue_prefix
        consumers = importlib.import_module(f"{name}.subscribers").consumers
        test_env.track_queues([f"{queue_prefix}{name}.{purpose}" for purpose in consumers.queues])
    env["RUNNER_PORT_OFFSET"] = str(free_block_offset())

    result = subprocess.run([sys.executable, str(RUNNER), "--exit-when-ready"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "All services are ready" in result.stdout
    seconds = float(result.stdout.split("All services are ready (", 1)[1].split(" s)", 1)[0])
    assert seconds < 60
    for name in SERVICES + FRONT_ENDS:
        assert f"{name} stopped cleanly" in result.stdout
    assert "the pages behind the links in the mails" in result.stdout  # the web app's address is printed
    assert "stopped." in result.stdout.splitlines()[-1]


def test_every_process_checks_tokens_against_the_gateway_of_its_own_run(monkeypatch):
    spec = importlib.util.spec_from_file_location("care_runner", RUNNER)
    runner = importlib.util.module_from_spec(spec)
    sys.modules["care_runner"] = runner  # dataclasses resolve their module while the class is made
    spec.loader.exec_module(runner)
    monkeypatch.setenv("RUNNER_PORT_OFFSET", "400")
    processes = runner.processes()
    assert len(processes) >= 13
    for process in processes:
        if process.name in FRONT_ENDS:  # a front-end verifies no token: it calls the gateway of its run
            assert process.env["WEB_GATEWAY_URL"] == "http://127.0.0.1:8400"
            continue
        keys = [value for key, value in process.env.items() if key.endswith("_JWT_JWKS_URL")]
        assert keys == ["http://127.0.0.1:8400/.well-known/jwks.json"], process.name
    mail_links = {key: value for p in processes for key, value in p.env.items() if key.endswith("_APP_BASE_URL")}
    assert mail_links == {f"{name}_APP_BASE_URL": "http://127.0.0.1:8406" for name in ("GATEWAY", "BOOKING", "NOTIFY")}
