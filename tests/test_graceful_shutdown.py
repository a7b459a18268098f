"""The gateway stops within its grace period: a long poll it forwards (``GET /api/<service>/…?wait=``) is answered
with the current state as soon as the gateway begins shutting down, while the service behind it runs on. Real
processes: the gateway, and kit's sample service with a waiting route (kit.testing.service_process)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from gateway.app import ROOT as GATEWAY_ROOT
from gateway.settings import Settings as GatewaySettings
from gateway.subscribers import consumers as gateway_consumers
from kit import migrations
from kit.settings import ServiceSettings
from kit.testing import fetch, free_port, terminate, wait_for, wait_until_up
from kit.testing.sample import create_waited_table, waiting_on_changes

GRACE_S = 10  # the local runner's, before SIGKILL


def start(argv: list[str], env: dict[str, str], log) -> subprocess.Popen:  # noqa: ANN001
    with log.open("w") as out:
        return subprocess.Popen([sys.executable, "-m", *argv], env=env, stdout=out, stderr=subprocess.STDOUT)


@pytest.mark.slow
async def test_sigterm_of_the_gateway_answers_a_forwarded_long_poll_at_once(test_env, tmp_path):
    sample = test_env.settings(ServiceSettings, service_name="kittest", database="kitwait_gateway", http_port=free_port())
    await create_waited_table(sample.database_url)
    sample_url = f"http://127.0.0.1:{sample.http_port}"
    gateway = test_env.settings(GatewaySettings, database="gateway_shutdown", http_port=free_port(),
                                services={"sample": sample_url})
    test_env.track_queues(list(gateway_consumers.bindings(gateway)))
    await migrations.upgrade(GATEWAY_ROOT, gateway.database_url)
    thing = uuid.uuid4()
    await fetch(sample, "INSERT INTO waited_things (id, status) VALUES ($1, 'pending')", thing)

    service = start(["kit.testing.service_process"], test_env.env(sample, prefix=""), tmp_path / "sample.log")
    front = start(["gateway"], test_env.env(gateway, "GATEWAY_"), tmp_path / "gateway.log")
    gateway_url = f"http://127.0.0.1:{gateway.http_port}"
    try:
        await wait_until_up(sample_url)
        await wait_until_up(gateway_url, check="live")
        async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
            waiting = asyncio.create_task(
                http.get(f"/api/sample/things/{thing}", params={"changed_from": "pending", "wait": 25}))
            await wait_for(lambda: waiting_on_changes(sample), what="the forwarded request to wait")
            assert not waiting.done()

            began = time.monotonic()
            front.send_signal(signal.SIGTERM)
            answer = await asyncio.wait_for(waiting, 5)
            assert time.monotonic() - began < 2  # not the 25 s it asked to wait
            assert answer.status_code == 200 and answer.json() == {"status": "pending"}  # the current state
            await asyncio.to_thread(front.wait, GRACE_S)
            assert time.monotonic() - began < GRACE_S
        assert service.poll() is None  # the service behind goes on
    finally:
        terminate(front, service)
    assert "gateway stopped cleanly" in (tmp_path / "gateway.log").read_text()
