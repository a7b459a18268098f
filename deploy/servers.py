"""Make sure PostgreSQL and RabbitMQ are running on this machine (``make services-up``).

Checks 127.0.0.1:5432 and 127.0.0.1:5672 (or TEST_POSTGRES_URL / TEST_AMQP_URL); when a server is
installed but stopped, starts it with the commands from ARCHITECTURE.md and waits until it answers;
when it is not installed, says so and exits non-zero.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def reachable(url: str, port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or port), timeout=1):
            return True
    except OSError:
        return False


def start_postgres() -> None:
    if not shutil.which("pg_ctlcluster"):
        sys.exit("PostgreSQL is not running on 127.0.0.1:5432 and is not installed (apt-get install postgresql).")
    versions = sorted(os.listdir("/etc/postgresql"))
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=False)


def start_rabbitmq() -> None:
    if not shutil.which("rabbitmq-server"):
        sys.exit("RabbitMQ is not running on 127.0.0.1:5672 and is not installed (apt-get install rabbitmq-server).")
    subprocess.run(["rabbitmq-server", "-detached"], check=False)


def wait(name: str, url: str, port: int, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not reachable(url, port):
        if time.monotonic() > deadline:
            sys.exit(f"{name} did not come up on {url} within {seconds:.0f} s")
        time.sleep(0.5)


def main() -> None:
    if not reachable(POSTGRES, 5432):
        print("starting PostgreSQL …", flush=True)
        start_postgres()
        wait("PostgreSQL", POSTGRES, 5432)
    if not reachable(AMQP, 5672):
        print("starting RabbitMQ …", flush=True)
        start_rabbitmq()
        wait("RabbitMQ", AMQP, 5672)
    print("PostgreSQL and RabbitMQ are up.", flush=True)


if __name__ == "__main__":
    main()
