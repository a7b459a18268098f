"""Make sure PostgreSQL and RabbitMQ are running on this machine (``make services-up``).

Checks 127.0.0.1:5432 and 127.0.0.1:5672 (or TEST_POSTGRES_URL / TEST_AMQP_URL); when a server is
installed but stopped, starts it with the commands from ARCHITECTURE.md and waits until it answers;
when it is not installed, says so and exits non-zero.

RabbitMQ needs a file descriptor per connection and more for its quorum queues: started from a shell with
the usual soft limit of 1024 it gets 927, and the test suite (the whole platform running beside services
started per test module) runs out. It then still accepts TCP connections but never answers the AMQP
handshake, and every client hangs. So RabbitMQ is started with the limit raised, a broker that accepts
TCP is asked for the handshake, and a local broker that is wedged or runs with a low limit is restarted.
"""

from __future__ import annotations

import os
import resource
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


RABBITMQ_OPEN_FILES = 65536


def amqp_answers(url: str, seconds: float = 10) -> bool:
    """True when the broker answers the AMQP 0-9-1 protocol header with Connection.Start (a method frame)."""
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout=seconds) as s:
            s.sendall(b"AMQP\x00\x00\x09\x01")
            return s.recv(1)[:1] == b"\x01"
    except OSError:
        return False


def broker_pid() -> int | None:
    found = subprocess.run(["pgrep", "-f", "beam.smp.*rabbit"], capture_output=True, text=True).stdout.split()
    return int(found[0]) if found else None


def open_files_limit(pid: int) -> int | None:
    try:
        for line in open(f"/proc/{pid}/limits"):
            if line.startswith("Max open files"):
                return int(line.split()[3])
    except (OSError, ValueError):
        return None
    return None


def _raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = RABBITMQ_OPEN_FILES if hard == resource.RLIM_INFINITY else max(hard, RABBITMQ_OPEN_FILES)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
    except (ValueError, OSError):  # not root: as high as the hard limit allows
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start_rabbitmq() -> None:
    if not shutil.which("rabbitmq-server"):
        sys.exit("RabbitMQ is not running on 127.0.0.1:5672 and is not installed (apt-get install rabbitmq-server).")
    command = ["rabbitmq-server", "-detached"]
    home = "/var/lib/rabbitmq"
    if os.geteuid() == 0 and shutil.which("setpriv") and os.path.exists("/usr/lib/rabbitmq/bin/rabbitmq-server"):
        # Debian's wrapper switches user with `su`, whose PAM limits put the soft limit back to 1024;
        # setpriv switches user without PAM, so the raised limit stays
        command = ["setpriv", "--reuid=rabbitmq", "--regid=rabbitmq", "--init-groups",
                   "/usr/lib/rabbitmq/bin/rabbitmq-server", "-detached"]
    env = {**os.environ, "HOME": home} if os.path.isdir(home) else None
    subprocess.run(command, check=False, preexec_fn=_raise_open_files, env=env,
                   cwd=home if os.path.isdir(home) else None)


def stop_rabbitmq() -> None:
    try:
        subprocess.run(["rabbitmqctl", "stop"], check=False, capture_output=True, timeout=30)
    except subprocess.TimeoutExpired:
        pass
    if (pid := broker_pid()) is not None:
        subprocess.run(["kill", "-9", str(pid)], check=False)
    for _ in range(60):
        if not reachable(AMQP, 5672):
            return
        time.sleep(0.5)


def local_broker_needs_restart() -> str | None:
    """Why the running local broker should be restarted, or None."""
    if not amqp_answers(AMQP):
        return "it accepts connections but does not answer the AMQP handshake"
    pid = broker_pid()
    limit = open_files_limit(pid) if pid else None
    if limit is not None and limit < 4096:
        return f"it may open only {limit} files"
    return None


def wait(name: str, url: str, port: int, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not reachable(url, port):
        if time.monotonic() > deadline:
            sys.exit(f"{name} did not come up on {url} within {seconds:.0f} s")
        time.sleep(0.5)


#: Debian packages the tests run beside the servers: PgBouncer (kit's test of a service behind it in
#: transaction mode, as CloudNativePG's Pooler runs it in Kubernetes)
#: the tests' tools from the distribution: pgbouncer, and chromium for the web app's browser tests (tests/web/)
TEST_TOOLS = {"pgbouncer": "/usr/sbin/pgbouncer", "chromium": "/usr/bin/chromium"}


def install_test_tools() -> None:
    missing = [name for name, path in TEST_TOOLS.items() if not (shutil.which(name) or os.path.exists(path))]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        sys.exit(f"the tests need {', '.join(missing)}: apt-get install {' '.join(missing)}")
    print(f"installing {', '.join(missing)} …", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=False, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    for name in missing:  # Debian starts the packaged service; the tests start their own
        subprocess.run(["service", name, "stop"], check=False, capture_output=True)


def main() -> None:
    if "--test-tools" in sys.argv:  # make test, make test-fast
        install_test_tools()
    if not reachable(POSTGRES, 5432):
        print("starting PostgreSQL …", flush=True)
        start_postgres()
        wait("PostgreSQL", POSTGRES, 5432)
    if reachable(AMQP, 5672) and shutil.which("rabbitmq-server") and (why := local_broker_needs_restart()):
        print(f"restarting RabbitMQ: {why} …", flush=True)
        stop_rabbitmq()
    if not reachable(AMQP, 5672):
        print("starting RabbitMQ …", flush=True)
        start_rabbitmq()
        wait("RabbitMQ", AMQP, 5672)
    if not amqp_answers(AMQP, seconds=30):
        sys.exit(f"RabbitMQ on {AMQP} accepts connections but does not answer the AMQP handshake")
    print("PostgreSQL and RabbitMQ are up.", flush=True)


if __name__ == "__main__":
    main()
