"""`make run` brings all six services and the web app to ready: the local runner, run as CI would, on this run's own
databases, exchange and ports. Then it supervises: a child killed is started again while the others go on, and
SIGTERM ends the runner and every child."""

from __future__ import annotations

import importlib
import importlib.util
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from kit.testing import terminate, wait_for

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


def runner_env(test_env, label: str) -> dict[str, str]:
    """The runner's environment: this run's own databases (``<service>_<label>_<run>``), exchange, queues and ports."""
    env = dict(os.environ)
    for name in SERVICES:
        prefix = name.upper()
        url = test_env.servers.database_url(f"{name}_{label}_{test_env.run_id}")
        test_env.databases.add(url)
        env[f"{prefix}_DATABASE_URL"] = url
        env[f"{prefix}_EXCHANGE"] = test_env.exchange
        queue_prefix = f"{test_env.queue_prefix}{label}."  # apart from the in-process services of other tests
        env[f"{prefix}_QUEUE_PREFIX"] = queue_prefix
        consumers = importlib.import_module(f"{name}.subscribers").consumers
        test_env.track_queues([f"{queue_prefix}{name}.{purpose}" for purpose in consumers.queues])
    env["RUNNER_PORT_OFFSET"] = str(free_block_offset())
    return env


@pytest.mark.slow
def test_runner_starts_every_service_and_relay_until_ready(test_env):
    env = runner_env(test_env, "runner")
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


@dataclass
class Runner:
    process: subprocess.Popen
    log: Path
    offset: int

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def pids(self) -> dict[str, int]:
        """Each child's pid as the runner last started it."""
        return {name: int(pid) for name, pid in re.findall(r"^(\S+) started \(pid (\d+)\)$", self.output(), re.M)}

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{8000 + SERVICES.index(service) + self.offset}"


@pytest.fixture(scope="module")
async def runner(test_env, tmp_path_factory):
    """`make run` as a developer runs it (no --exit-when-ready), ready."""
    env = runner_env(test_env, "supervised")
    log = tmp_path_factory.mktemp("runner") / "runner.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, str(RUNNER)], env=env, stdout=out, stderr=subprocess.STDOUT)
    running = Runner(process, log, int(env["RUNNER_PORT_OFFSET"]))
    try:
        async def ready() -> bool:
            assert process.poll() is None, running.output()[-3000:]
            return "All services are ready" in running.output()
        await wait_for(ready, timeout=150, interval=0.5, what="the runner to be ready")
        yield running
    finally:
        terminate(process, timeout_s=30)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
async def test_a_killed_service_is_started_again_while_the_others_go_on(runner):
    before = runner.pids()
    os.kill(before["billing"], signal.SIGKILL)
    async with httpx.AsyncClient(timeout=2) as http:
        async def billing_ready_again() -> bool:
            # portal is up the whole time billing is down and coming back
            assert (await http.get(f"{runner.url('portal')}/health/live")).status_code == 200
            if runner.pids()["billing"] == before["billing"]:
                return False
            try:
                return (await http.get(f"{runner.url('billing')}/health/ready")).status_code == 200
            except httpx.HTTPError:
                return False

        await wait_for(billing_ready_again, timeout=60, interval=0.25, what="billing to be ready again")
    output = runner.output()
    assert "billing exited with -9; restarting in 0.5 s" in output
    after = runner.pids()
    assert after["billing"] != before["billing"] and alive(after["billing"])
    assert {name: pid for name, pid in after.items() if name != "billing"} == \
           {name: pid for name, pid in before.items() if name != "billing"}  # nothing else was restarted
    assert all(alive(pid) for pid in after.values())
    assert runner.process.poll() is None


@pytest.mark.slow
def test_sigterm_stops_the_runner_and_every_child(runner):
    children = runner.pids()
    assert len(children) >= 13 and all(alive(pid) for pid in children.values())
    began = time.monotonic()
    runner.process.send_signal(signal.SIGTERM)
    assert runner.process.wait(30) == 0
    assert time.monotonic() - began < 10  # every child stopped within its grace period: none was killed
    output = runner.output()
    assert "killing it" not in output
    assert not [name for name, pid in children.items() if alive(pid)]
    for name in SERVICES + FRONT_ENDS:
        assert f"{name} stopped cleanly" in output
    assert output.splitlines()[-1] == "stopped."
