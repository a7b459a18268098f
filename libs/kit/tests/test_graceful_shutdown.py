"""A service stops within its grace period: a request waiting for a change (``?wait=``, kit.changes) is answered
with the current state as soon as shutdown begins, not when its wait is over. A real process, sent SIGTERM as an
orchestrator does."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
import uuid

import httpx
import pytest

from kit.settings import ServiceSettings
from kit.testing import fetch, free_port, terminate, wait_for, wait_until_up
from kit.testing.sample import create_waited_table, waiting_on_changes

GRACE_S = 10  # the local runner's, before SIGKILL


@pytest.fixture(scope="module")
async def waited_settings(test_env) -> ServiceSettings:
    # a database of its own: the only connection listening for changes there is the process's
    settings = test_env.settings(ServiceSettings, service_name="kittest", database="kitwait", http_port=free_port())
    await create_waited_table(settings.database_url)
    return settings


@pytest.mark.slow
async def test_sigterm_answers_a_waiting_request_at_once_and_the_service_stops(test_env, waited_settings, tmp_path):
    thing = uuid.uuid4()
    await fetch(waited_settings, "INSERT INTO waited_things (id, status) VALUES ($1, 'pending')", thing)
    log = tmp_path / "service.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "kit.testing.service_process"],
                                   env=test_env.env(waited_settings, prefix=""), stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{waited_settings.http_port}"
    try:
        await wait_until_up(url)
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            waiting = asyncio.create_task(http.get(f"/things/{thing}", params={"changed_from": "pending", "wait": 25}))
            await wait_for(lambda: waiting_on_changes(waited_settings), what="the request to wait")
            assert not waiting.done()

            began = time.monotonic()
            process.send_signal(signal.SIGTERM)
            answer = await asyncio.wait_for(waiting, 5)
            assert time.monotonic() - began < 2  # not the 25 s it asked to wait
            assert answer.status_code == 200 and answer.json() == {"status": "pending"}  # the current state
            await asyncio.to_thread(process.wait, GRACE_S)
    finally:
        terminate(process)
    assert time.monotonic() - began < GRACE_S
    assert "kittest stopped cleanly" in log.read_text()
