"""The deploy smoke test: what the production manifests say, run on this machine.

The production overlay is rendered as `kubectl apply -k` would send it. For every container of every
Deployment the argv is the image's ENTRYPOINT (read from the root Dockerfile) + the container's command and
args, and the environment is what the kubelet would give it: the ConfigMap's values as they are, the Secret's
keys with test values, with only these changes for one machine:
- the cluster's host names (`http://gateway:8000`, the OpenTelemetry collector) lead to 127.0.0.1 ports, and
  every process listens on a port of its own (`<SERVICE>_HTTP_PORT`, `<SERVICE>_RELAY_HEALTH_PORT`) on
  127.0.0.1 (a pod has its own network; here they share one);
- a mounted ConfigMap (the gateway's SITHS CAs) is a file in a temporary directory;
- the databases are this run's PostgreSQL databases, each owned by a role of its own as CloudNativePG makes
  them, reached through PgBouncer in transaction mode (the Pooler) where it is installed; RabbitMQ is a
  virtual host and user of this run (the ConfigMaps' exchange `events` as it is);
- the adapters the overlay leaves to the operator are named `stub` (production refuses them unnamed).

Then: the init containers (`migrate`, of the API and the relay pods, all at once: one advisory lock per
database) exit 0 and leave each database at its alembic head; every API becomes ready; every relay reports
itself active; and a therapist who registers through the gateway signs in with email and password (what
production offers without the BankID simulator) and reaches booking with the gateway's token.

Where `docker info` works the image is built and one container started; where it does not, that step is
reported as not run (a warning), never as passed.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from urllib.parse import quote, urlsplit

import asyncpg
import httpx

from kit.db import plain_dsn
from kit.migrations import drop_database
from kit.testing import free_port, terminate, wait_for

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SERVICES = ["gateway", "booking", "billing", "logistics", "portal", "notify"]
#: the whole test, startup to sign-in, stays under this (the machine may be busy with others' tests)
BUDGET_S = 90


def deploy_values():
    import importlib.util

    spec = importlib.util.spec_from_file_location("deploy_values", HERE / "deploy_values.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def entrypoint() -> list[str]:
    """The ENTRYPOINT of the root Dockerfile's last stage (exec form)."""
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    found = [json.loads(line.removeprefix("ENTRYPOINT").strip()) for line in lines if line.startswith("ENTRYPOINT ")]
    assert found, "the Dockerfile has no ENTRYPOINT"
    return found[-1]


def command_of(container: dict) -> list[str]:
    """What the kubelet runs: `command` replaces the image's ENTRYPOINT, `args` its CMD (the image has none)."""
    return [*(container.get("command") or entrypoint()), *container.get("args", [])]


class Local:
    """The cluster's names on this machine: a port per Service, files for mounted ConfigMaps."""

    def __init__(self, objects: list[dict], folder: Path) -> None:
        self.ports = {(o["metadata"]["name"], p["port"]): free_port() for o in objects if o["kind"] == "Service"
                      for p in o["spec"]["ports"]}
        self.folder = folder
        self.mounts: dict[str, str] = {}

    def address(self, value: str) -> str:
        def local(match: re.Match) -> str:
            host, port = match.group(1), int(match.group(2))
            if (host, port) in self.ports:
                return f"//127.0.0.1:{self.ports[(host, port)]}"
            if "." in host and not host.endswith((".example.org", ".com", ".se")):  # another namespace's Service
                self.ports[(host, port)] = self.ports.get((host, port)) or free_port()  # nothing listens there
                return f"//127.0.0.1:{self.ports[(host, port)]}"
            return match.group(0)

        value = re.sub(r"//([a-z0-9][a-z0-9.-]*):(\d+)", local, value)
        for mount, folder in self.mounts.items():
            value = value.replace(mount, folder)
        return value

    def mount(self, pod: dict, container: dict, files: dict[str, dict[str, str]]) -> None:
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for mount in container.get("volumeMounts", []):
            volume = volumes[mount["name"]]
            if "configMap" in volume:
                name = volume["configMap"]["name"]
                assert name in files or volume["configMap"].get("optional"), f"the ConfigMap {name} is not made"
                folder = self.folder / "mounts" / name
                folder.mkdir(parents=True, exist_ok=True)
                for key, content in files.get(name, {}).items():
                    (folder / key).write_text(content)
                self.mounts[mount["mountPath"]] = str(folder)


async def rabbitmqctl(*argv: str) -> None:
    binary = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    assert Path(binary).exists(), "rabbitmqctl is needed to make the run's RabbitMQ user and virtual host"
    child = await asyncio.create_subprocess_exec(binary, *argv, stdout=asyncio.subprocess.PIPE,
                                                 stderr=asyncio.subprocess.STDOUT)
    out, _ = await child.communicate()
    assert child.returncode == 0, f"rabbitmqctl {' '.join(argv)}: {out.decode(errors='replace')}"


def start_pgbouncer(postgres_url: str, folder: Path, users: dict[str, str]) -> tuple[subprocess.Popen | None, int]:
    """PgBouncer in transaction mode before the test PostgreSQL, as CloudNativePG's Pooler; None where it is
    not installed (`make test` installs it)."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    target = urlsplit(postgres_url)
    if not Path(binary).exists():
        return None, target.port or 5432
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "users.txt").write_text("".join(f'"{user}" "{password}"\n' for user, password in users.items()))
    (folder / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"* = host={target.hostname or '127.0.0.1'} port={target.port or 5432}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = plain\nauth_file = {folder}/users.txt\n"
        "pool_mode = transaction\ndefault_pool_size = 20\nmax_client_conn = 1000\n"
        "server_reset_query =\nignore_startup_parameters = extra_float_digits\n"
        f"logfile = {folder}/pgbouncer.log\npidfile = {folder}/pgbouncer.pid\n")
    os.chmod(folder.parent, 0o755)
    os.chmod(folder, 0o777)  # PgBouncer refuses to run as root: as postgres, it writes its log here
    process = subprocess.Popen([binary, str(folder / "pgbouncer.ini")], stdout=subprocess.DEVNULL,
                               stderr=subprocess.STDOUT, user="postgres" if os.geteuid() == 0 else None)
    return process, port


class Started:
    def __init__(self, workload: str, kind: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.workload, self.kind, self.argv, self.env, self.log = workload, kind, argv, env, log
        self.process = subprocess.Popen(argv, env=env, cwd=log.parent, stdout=log.open("wb"), stderr=subprocess.STDOUT)

    def tail(self) -> str:
        return f"--- {self.workload} ({self.kind}): {' '.join(self.argv[-3:])}\n" + "\n".join(
            self.log.read_text(errors="replace").splitlines()[-25:])


async def test_the_production_manifests_run_as_written(test_env):
    began = time.monotonic()
    values = deploy_values()
    objects = values.render("production")
    configs = values.config_maps(objects)
    run = test_env.run_id
    folder = Path(tempfile.mkdtemp(prefix=f"smoke-{run}-"))
    local = Local(objects, folder)
    postgres = urlsplit(test_env.servers.postgres_url)
    amqp = urlsplit(test_env.servers.amqp_url)
    vhost, amqp_user, amqp_password = f"smoke-{run}", f"smoke-{run}", secrets.token_hex(16)
    roles = {name: (f"smoke_{name}_{run}", secrets.token_hex(16)) for name in SERVICES}
    # names of their own: `<service>_<run>` belongs to the other tests of this run
    databases = {name: test_env.servers.database_url(f"{name}_smoke_{run}") for name in SERVICES}
    started: list[Started] = []
    passed = False
    pgbouncer = None
    admin = await asyncpg.connect(plain_dsn(test_env.servers.postgres_url))
    try:
        # -- what the operators make: a database and its owner per service (CloudNativePG), a broker user --
        for name, (role, password) in roles.items():
            await admin.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
            await admin.execute(f"CREATE DATABASE \"{name}_smoke_{run}\" OWNER \"{role}\"")
        await asyncio.gather(rabbitmqctl("add_vhost", vhost), rabbitmqctl("add_user", amqp_user, amqp_password))
        await rabbitmqctl("set_permissions", "-p", vhost, amqp_user, ".*", ".*", ".*")
        pgbouncer, pooler_port = start_pgbouncer(test_env.servers.postgres_url, folder / "pgbouncer", dict(roles.values()))
        if pgbouncer is None:
            warnings.warn("PgBouncer is not installed: DATABASE_URL leads to PostgreSQL itself", stacklevel=1)
        else:
            async def pooling() -> bool:
                assert pgbouncer.poll() is None, "PgBouncer exited"
                try:
                    conn = await asyncpg.connect(host="127.0.0.1", port=pooler_port, user=roles["portal"][0],
                                                 password=roles["portal"][1], database=f"portal_smoke_{run}",
                                                 statement_cache_size=0)
                except (OSError, asyncpg.PostgresError):
                    return False
                await conn.close()
                return True

            await wait_for(pooling, timeout=20, what="PgBouncer accepting connections")

        def secret_of(name: str, config: dict[str, str], keys: set[str]) -> dict[str, str]:
            prefix = name.upper()
            found = {key: values.secret_test_value(key, config) for key in keys}
            if name in roles:
                role, password = roles[name]
                host = postgres.hostname or "127.0.0.1"
                found[f"{prefix}_DATABASE_URL"] = f"postgresql+asyncpg://{role}:{password}@127.0.0.1:{pooler_port}/{name}_smoke_{run}"
                found[f"{prefix}_DATABASE_DIRECT_URL"] = (
                    f"postgresql+asyncpg://{role}:{password}@{host}:{postgres.port or 5432}/{name}_smoke_{run}")
                found[f"{prefix}_AMQP_URL"] = (f"amqp://{amqp_user}:{amqp_password}@{amqp.hostname}:{amqp.port or 5672}/"
                                               f"{quote(vhost, safe='')}")
            return found

        # -- every container as the kubelet would start it ---------------------------------------------------
        files = {"siths-ca": {"ca.pem": _test_ca_pem()}}
        secrets_by_service: dict[str, dict[str, str]] = {}
        plans: list[tuple[str, str, list[str], dict[str, str], str | None]] = []
        deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}
        for workload, kind, container in values.containers(objects):
            pod = deployments[workload]["spec"]["template"]["spec"]
            name = container["name"] if kind == "main" else workload.removesuffix("-relay")
            config = configs[f"{name}-config"]
            keys = {e["valueFrom"]["secretKeyRef"]["key"] for e in container.get("env", [])
                    if "secretKeyRef" in e.get("valueFrom", {})}
            secret = secrets_by_service.setdefault(name, secret_of(name, config, keys))
            local.mount(pod, container, files)
            env = {key: local.address(value) for key, value in values.environment(container, configs, secret).items()}
            prefix = name.upper()
            env[f"{prefix}_HTTP_HOST"] = "127.0.0.1"
            health = None
            if kind == "main" and workload == name:  # the API: its Service's port here
                env[f"{prefix}_HTTP_PORT"] = str(local.ports[(name, int(config[f"{prefix}_HTTP_PORT"]))])
                health = f"http://127.0.0.1:{env[f'{prefix}_HTTP_PORT']}/health/ready"
            elif kind == "main":  # a relay: its readiness port
                env[f"{prefix}_RELAY_HEALTH_PORT"] = str(free_port())
                health = f"http://127.0.0.1:{env[f'{prefix}_RELAY_HEALTH_PORT']}/health/ready"
            for variable in values.adapter_variables(name):  # the operator's choice: the stubs, by name
                env.setdefault(variable, "stub")
            assert not [v for v in env.values() if re.search(r"//(gateway|booking|billing|logistics|portal|notify|web):", v)]
            env |= {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "SERVICE": name, "HOME": str(folder),
                    "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}  # the image's ENV
            plans.append((workload, kind, command_of(container), env, health))

        # the init containers of every pod at once, as a rollout starts them
        for workload, kind, argv, env, _ in plans:
            if kind == "init":
                started.append(Started(workload, kind, argv, env, _log(folder, workload, kind)))
        inits = [s for s in started if s.kind == "init"]
        assert inits and {argv[-1] for _, k, argv, _, _ in plans if k == "init"} == {"migrate"}
        deadline = time.monotonic() + 60
        for init in inits:
            init.process.wait(max(1, deadline - time.monotonic()))
            assert init.process.returncode == 0, init.tail()
        for name in SERVICES:
            assert await _at_head(admin, name, databases[name]), f"{name}'s database is not at its alembic head"

        mains = []
        for workload, kind, argv, env, health in plans:
            if kind == "main":
                mains.append((Started(workload, kind, argv, env, _log(folder, workload, kind)), health))
        started += [s for s, _ in mains]
        last: dict[str, str] = {}
        async with httpx.AsyncClient(timeout=2) as http:
            async def all_ready() -> bool:
                ready = True
                for process, url in mains:
                    assert process.process.poll() is None, process.tail()
                    try:
                        answer = await http.get(url)
                    except httpx.HTTPError as error:
                        last[process.workload], ready = repr(error), False
                        continue
                    last[process.workload] = answer.text
                    if answer.status_code != 200 or (
                            process.workload.endswith("-relay") and answer.json()["role"] != "active"):
                        ready = False
                return ready

            try:
                await wait_for(all_ready, timeout=max(10, BUDGET_S - 15 - (time.monotonic() - began)), interval=0.5,
                               what="every API ready and every relay active")
            except AssertionError:
                raise AssertionError("\n".join([*(s.tail() for s, _ in mains), *(f"{w}: {a[:400]}" for w, a in last.items())])
                                     ) from None
            relays = {s.workload for s, _ in mains if s.workload.endswith("-relay")}
            apis = {s.workload for s, _ in mains if not s.workload.endswith("-relay")}
            assert apis == {*SERVICES, "web"} and relays == {f"{n}-relay" for n in SERVICES}
            for process, url in mains:
                answer = (await http.get(url)).json()
                if process.workload in SERVICES:  # kit.health: production, and the stubs named
                    assert answer["status"] == "ready" and answer["environment"] == "production", answer
                    assert set(answer["stubs"]) == {a.removeprefix(f"{process.workload.upper()}_").lower()
                                                    for a in values.adapter_variables(process.workload)}
                elif process.workload == "web":
                    assert answer == {"status": "ok", "gateway": "up"}
                else:
                    assert answer["role"] == "active"

            # -- a person signs in through the gateway and reaches a service --------------------------------
            gateway = f"http://127.0.0.1:{local.ports[('gateway', 8000)]}"
            services = (await http.get(f"{gateway}/health/services")).json()  # GATEWAY_SERVICES leads to each
            assert services["status"] == "ready" and set(services["services"]) == set(SERVICES[1:]), services
            await _signed_in_request_reaches_booking(gateway)
        assert time.monotonic() - began < BUDGET_S + 30, f"the smoke test took {time.monotonic() - began:.0f} s"
        passed = True
    finally:
        terminate(*(s.process for s in started))
        if pgbouncer is not None:
            pgbouncer.terminate()
            pgbouncer.wait(10)
        await admin.close()
        for url in databases.values():
            await drop_database(url)
        admin = await asyncpg.connect(plain_dsn(test_env.servers.postgres_url))
        try:
            for role, _ in roles.values():
                await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        finally:
            await admin.close()
        await asyncio.gather(rabbitmqctl("delete_vhost", vhost), rabbitmqctl("delete_user", amqp_user),
                             return_exceptions=True)
        if passed:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"the processes' logs are in {folder / 'logs'}")


async def _signed_in_request_reaches_booking(gateway: str) -> None:
    """BK-1 as production offers it: a therapist registers, signs in with email and password, accepts the
    terms when asked, and applies in booking through the gateway with the gateway's token."""
    email = f"smoke-{uuid.uuid4().hex[:8]}@example.org"
    password = "Smoke-Terapeut-2026!"
    async with httpx.AsyncClient(base_url=gateway, timeout=15) as http:
        registered = await http.post("/identity/register", json={
            "display_name": "Smoke Terapeut", "email": email, "password": password, "language": "sv"})
        assert registered.status_code == 202, registered.text
        tokens = await http.post("/identity/email/login", json={"email": email, "password": password})
        assert tokens.status_code == 200, tokens.text
        tokens = tokens.json()
        me = (await http.get("/identity/me", headers=_bearer(tokens))).json()
        if me.get("terms_required"):
            accepted = await http.post("/identity/terms/accept", json={"version": me["terms_required"]},
                                       headers=_bearer(tokens))
            assert accepted.status_code == 200, accepted.text
            tokens = accepted.json()
        assert tokens["scope"] == "full"
        applied = await http.post("/api/booking/therapists/application", headers=_bearer(tokens), json={
            "name": "Smoke Terapeut", "email": email, "licence_number": "PSY-100001", "agreement_version": "2026-01"})
        assert applied.status_code == 201, applied.text
        assert applied.json()["status"] == "pending"
        refused = await http.post("/api/booking/therapists/application", json={})
        assert refused.status_code == 401  # booking checks the token: none, no way in


def _bearer(tokens: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _log(folder: Path, workload: str, kind: str) -> Path:
    path = folder / "logs" / f"{workload}-{kind}.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _test_ca_pem() -> str:
    from gateway.devca import ca_for_tests

    return ca_for_tests().pem


async def _at_head(admin: asyncpg.Connection, name: str, database_url: str) -> bool:
    from alembic.script import ScriptDirectory

    from kit.migrations import alembic_config

    root = ROOT / "services" / name
    heads = set(ScriptDirectory.from_config(alembic_config(root, database_url)).get_heads())
    conn = await asyncpg.connect(plain_dsn(database_url))
    try:
        found = {row["version_num"] for row in await conn.fetch("SELECT version_num FROM alembic_version")}
    finally:
        await conn.close()
    return bool(heads) and found == heads


def test_the_image_builds_and_one_container_starts():
    """Where a Docker engine answers: build the image of one service and run its container (non-root,
    read-only root file system, /tmp a tmpfs) with the manifest's args: `migrate --help` prints usage and
    the ENTRYPOINT resolves to `python -m portal`. Where none answers, the step is reported as not run."""
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "info"], capture_output=True, timeout=30).returncode != 0:
        warnings.warn("docker info failed: the image was NOT built and no container was started (not run, not passed)",
                      stacklevel=1)
        print("deploy smoke: image build and container start NOT RUN (no Docker engine answers `docker info`)")
        return
    tag = f"care-smoke/portal:{uuid.uuid4().hex[:8]}"
    build = subprocess.run([docker, "build", "--build-arg", "SERVICE=portal", "-t", tag, str(ROOT)],
                           capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stderr[-3000:]
    try:
        ran = subprocess.run([docker, "run", "--rm", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
                              "-e", "PORTAL_ENVIRONMENT=development", tag, "--help"],
                             capture_output=True, text=True, timeout=120)
        assert ran.returncode == 0 and "python -m portal" in ran.stdout, ran.stdout + ran.stderr
        user = subprocess.run([docker, "run", "--rm", "--entrypoint", "id", tag, "-u"], capture_output=True, text=True,
                              timeout=60)
        assert user.stdout.strip() == "10001"
    finally:
        subprocess.run([docker, "rmi", "-f", tag], capture_output=True, timeout=120)
