"""The Kubernetes manifests: generated from one table, rendered by kustomize, valid against the Kubernetes
schemas (1.30 and 1.35, strict, offline) and the operators' CRD schemas (tests/crds/, unknown fields refused);
every service has probes, limits, an autoscaler, a disruption budget, its network policies; and the
production overlay gives each service every setting its code requires."""

from __future__ import annotations

import importlib
import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

K8S = Path(__file__).resolve().parents[1] / "deploy" / "k8s"
SERVICES = ["gateway", "booking", "billing", "logistics", "portal", "notify"]
#: The oldest Kubernetes the manifests support and the newest kubernetes-validate knows: both must accept them
KUBERNETES_VERSIONS = ["1.30", "1.35"]


def generator():
    spec = importlib.util.spec_from_file_location("k8s_generate", K8S / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render(overlay: str) -> list[dict]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed to render the manifests (apt-get install kubectl, or the kubernetes-client package)"
    result = subprocess.run([kubectl, "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def test_committed_base_is_what_the_generator_writes():
    for filename, content in generator().render().items():
        assert (K8S / "base" / filename).read_text() == content, f"run `python deploy/k8s/generate.py` ({filename} is stale)"


#: Operators' resources, validated against the operators' CRD schemas (tests/crds/, descriptions removed; each
#: file names the operator's repository, commit and path it came from)
OPERATOR_GROUPS = ("postgresql.cnpg.io/v1", "rabbitmq.com/v1beta1", "monitoring.coreos.com/v1")
CRDS = Path(__file__).resolve().parent / "crds"


def strict(schema):
    """The CRD's schema with unknown fields refused, as kubernetes-validate's strict mode does for built-in
    kinds (the API server would silently prune them: a misspelt field would just be lost)."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    found = {key: strict(value) for key, value in schema.items()}
    if ("properties" in schema and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")):
        found["additionalProperties"] = False
    return found


def validate_custom(obj: dict) -> None:
    group, version = obj["apiVersion"].split("/")
    crd = json.loads((CRDS / f"{group}_{obj['kind']}.json").read_text())
    schema = strict(crd["versions"][version])
    schema["properties"]["metadata"] = {"type": "object"}  # the API server's, not the CRD's
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(obj), key=lambda e: list(e.path))
    assert not errors, f"{obj['kind']} {obj['metadata']['name']}: " + "; ".join(
        f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5])


@pytest.mark.parametrize("overlay", ["development", "production"])
def test_every_object_is_valid_and_every_service_is_operable(overlay):
    objects = render(overlay)
    by_kind: dict[str, dict[str, dict]] = {}
    for obj in objects:
        by_kind.setdefault(obj["kind"], {})[obj["metadata"]["name"]] = obj
        if obj["apiVersion"] in OPERATOR_GROUPS:
            validate_custom(obj)
            continue
        for version in KUBERNETES_VERSIONS:
            kubernetes_validate.validate(obj, version, strict=True)

    assert "Secret" not in by_kind, "secret values are never committed; they are referenced"
    assert "Job" not in by_kind, "migrations run as init containers under an advisory lock, not as an immutable Job"
    assert set(by_kind["RabbitmqCluster"]) == {"rabbitmq"}
    assert by_kind["RabbitmqCluster"]["rabbitmq"]["spec"]["image"].startswith("rabbitmq:4.")
    for name in [*SERVICES, "web"]:
        deployment = by_kind["Deployment"][name]
        assert "replicas" not in deployment["spec"], f"{name}: the autoscaler owns the number of replicas"
        api = deployment["spec"]["template"]["spec"]
        (container,) = api["containers"]
        assert "command" not in container and "args" not in container  # the image's ENTRYPOINT: python -m <name>
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live"
        assert container["lifecycle"]["preStop"]["exec"]["command"][0] == "sleep"
        assert container["resources"]["limits"]["memory"] and container["resources"]["requests"]["cpu"]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert api["securityContext"]["runAsNonRoot"] is True
        assert api["automountServiceAccountToken"] is False and api["serviceAccountName"] == name
        assert by_kind["ServiceAccount"][name]["automountServiceAccountToken"] is False
        assert {c["topologyKey"] for c in api["topologySpreadConstraints"]} == {"topology.kubernetes.io/zone",
                                                                                 "kubernetes.io/hostname"}
        assert container["envFrom"] == [{"configMapRef": {"name": f"{name}-config"}}]
        assert by_kind["ConfigMap"][f"{name}-config"]["data"][f"{name.upper()}_ENVIRONMENT"] == overlay
        hpa = by_kind["HorizontalPodAutoscaler"][name]["spec"]
        assert hpa["scaleTargetRef"]["name"] == name and hpa["maxReplicas"] > hpa["minReplicas"] >= 1
        assert by_kind["PodDisruptionBudget"][name]["spec"] == {
            "maxUnavailable": 1, "selector": deployment["spec"]["selector"]}
        assert name in by_kind["NetworkPolicy"]
    for name in SERVICES:
        api = by_kind["Deployment"][name]["spec"]["template"]["spec"]
        relay_pod = by_kind["Deployment"][f"{name}-relay"]["spec"]["template"]["spec"]
        relay = relay_pod["containers"][0]
        assert relay["args"] == ["relay"] and "command" not in relay
        assert relay["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "health"}
        for pod in (api, relay_pod):  # migrated before either starts, with the same image
            (migrate,) = pod["initContainers"]
            assert migrate["args"] == ["migrate"] and migrate["image"] == pod["containers"][0]["image"]
        monitor = by_kind["PodMonitor"][name]["spec"]
        assert monitor["podMetricsEndpoints"] == [{"port": "http", "path": "/metrics", "interval": "30s"}]
        database = by_kind["Cluster"][f"{name}-db"]["spec"]
        assert database["bootstrap"]["initdb"]["database"] == name and database["instances"] >= 1
        assert database["bootstrap"]["initdb"]["owner"] == name  # the service's own role, not the superuser
        pooler = by_kind["Pooler"][f"{name}-db-pooler"]["spec"]  # PgBouncer in transaction mode before it
        assert pooler["cluster"]["name"] == f"{name}-db" and pooler["pgbouncer"]["poolMode"] == "transaction"
        assert by_kind["ConfigMap"][f"{name}-config"]["data"][f"{name.upper()}_DATABASE_PGBOUNCER"] == "true"
    if overlay == "production":
        assert all(c["spec"]["instances"] == 3 for c in by_kind["Cluster"].values())
        assert all(d["metadata"]["namespace"] == "care" for d in by_kind["Deployment"].values())


def test_the_gateway_is_the_way_in_and_each_service_takes_traffic_from_it_alone():
    by_kind: dict[str, dict[str, dict]] = {}
    for obj in render("production"):
        by_kind.setdefault(obj["kind"], {})[obj["metadata"]["name"]] = obj
    gateway_config = by_kind["ConfigMap"]["gateway-config"]["data"]
    assert json.loads(gateway_config["GATEWAY_SERVICES"]) == {
        name: f"http://{name}:{port}" for name, port in zip(SERVICES, range(8000, 8006), strict=True) if name != "gateway"}
    ingress = by_kind["Ingress"]["care"]
    backends = {rule["host"]: rule["http"]["paths"][0]["backend"]["service"]["name"] for rule in ingress["spec"]["rules"]}
    assert set(backends.values()) == {"web", "gateway"}
    assert set(ingress["spec"]["tls"][0]["hosts"]) == set(backends)
    notes = ingress["metadata"]["annotations"]  # SITHS: the client certificate verified and passed on
    assert notes["nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream"] == "true"
    assert notes["nginx.ingress.kubernetes.io/auth-tls-verify-client"] == "optional"
    assert gateway_config["GATEWAY_SITHS_CERT_HEADER"] == "ssl-client-cert"

    def sources(policy: str) -> list[dict]:
        return [peer for rule in by_kind["NetworkPolicy"][policy]["spec"]["ingress"] for peer in rule["from"]]

    namespaces = {p["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                  for p in sources("gateway") if "namespaceSelector" in p}
    assert namespaces == {"ingress-nginx", "monitoring"}
    for name in SERVICES[1:]:
        pods = [p["podSelector"] for p in sources(name) if "podSelector" in p]
        assert pods == [{"matchLabels": {"app.kubernetes.io/name": "gateway", "app.kubernetes.io/part-of": "care"},
                         "matchExpressions": [{"key": "app.kubernetes.io/component", "operator": "In", "values": ["api"]}]}]
        database_pods = [p["podSelector"]["matchLabels"] for p in sources(f"{name}-db") if "podSelector" in p]
        assert all(labels.get("app.kubernetes.io/name", name) == name for labels in database_pods)
    for obj in by_kind["ConfigMap"].values():  # no public link or address of another system on loopback
        assert not [v for v in obj["data"].values() if "127.0.0.1" in v or "localhost" in v], obj["metadata"]["name"]


@pytest.mark.parametrize("overlay", ["development", "production"])
def test_the_web_app_runs_without_database_or_relay_and_the_mail_links_point_at_it(overlay):
    by_name = {(o["kind"], o["metadata"]["name"]): o for o in render(overlay)}
    (container,) = by_name[("Deployment", "web")]["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready"
    assert [e["name"] for e in container["env"]] == ["WEB_COOKIE_SECRET"]  # no database, no broker
    config = by_name[("ConfigMap", "web-config")]["data"]
    assert config["WEB_GATEWAY_URL"] == "http://gateway:8000" and config["WEB_ENVIRONMENT"] == overlay
    assert ("Deployment", "web-relay") not in by_name and ("Cluster", "web-db") not in by_name
    assert ("HorizontalPodAutoscaler", "web") in by_name and ("PodDisruptionBudget", "web") in by_name
    public = generator().PUBLIC_WEB_URL
    for name in ("gateway", "booking", "notify"):
        assert by_name[("ConfigMap", f"{name}-config")]["data"][f"{name.upper()}_APP_BASE_URL"] == public


def test_the_compose_file_runs_every_service_with_its_migration_and_relay():
    compose = yaml.safe_load((K8S.parent / "compose.yaml").read_text())["services"]
    for name in SERVICES:
        api, relay, migrate = compose[name], compose[f"{name}-relay"], compose[f"{name}-migrate"]
        # the image's ENTRYPOINT is `python -m $SERVICE`: the command is only its arguments
        assert relay["command"] == ["relay"] and migrate["command"] == ["migrate"] and "command" not in api
        assert api["environment"] == relay["environment"] == migrate["environment"]
        assert all(key.startswith(f"{name.upper()}_") for key in api["environment"])
        assert api["environment"][f"{name.upper()}_DATABASE_URL"].endswith(f"/{name}")
        assert api["depends_on"][f"{name}-migrate"] == {"condition": "service_completed_successfully"}
        assert migrate["build"]["dockerfile"] == "Dockerfile" and migrate["build"]["args"] == {"SERVICE": name}
        assert api["image"] == relay["image"] == migrate["image"] == f"care/{name}"
    assert compose["rabbitmq"]["image"].startswith("rabbitmq:4.") and compose["rabbitmq"]["image"].endswith("-management")
    assert (K8S.parents[1] / "Dockerfile").is_file() and not list((K8S.parents[1] / "services").glob("*/Dockerfile"))


def secret_settings(name: str) -> dict[str, bool]:
    """Every ``Secret``/``SecretKeys``/``OptionalSecret`` setting of a service as its variable -> required,
    read from the Settings class itself (kit.settings marks them), plus the connection URLs."""
    cls = importlib.import_module(f"{name}.settings").Settings
    prefix = cls.model_config["env_prefix"]
    # the database through its PgBouncer, the database itself (LISTEN, advisory locks, migrations), the broker
    found = {f"{prefix}DATABASE_URL": True, f"{prefix}DATABASE_DIRECT_URL": True, f"{prefix}AMQP_URL": True}
    for field, info in cls.model_fields.items():
        markers = [m for m in info.metadata if type(m).__name__ == "_SecretMarker"]
        if markers:
            found[f"{prefix}{field}".upper()] = all(m.required for m in markers)
    return found


def test_production_takes_exactly_the_secrets_the_code_declares_from_each_services_secret():
    objects = render("production")
    deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] in ("Deployment", "Job")}
    configs = {o["metadata"]["name"]: o["data"] for o in objects if o["kind"] == "ConfigMap"}
    for name in SERVICES:
        expected = secret_settings(name)
        assert len(expected) > 3 or name == "portal", f"{name} declares no secret of its own"
        assert not set(expected) & set(configs[f"{name}-config"]), "a secret in a ConfigMap"
        pods = [deployments[workload]["spec"]["template"]["spec"] for workload in (name, f"{name}-relay")]
        for container in [c for pod in pods for c in [*pod.get("initContainers", []), *pod["containers"]]]:
            workload = container["name"]
            from_secret = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in container["env"]
                           if "secretKeyRef" in e.get("valueFrom", {})}
            assert set(from_secret) == set(expected), workload
            for variable, ref in from_secret.items():
                assert ref["name"] == f"{name}-secrets" and ref["key"] == variable
                assert ref.get("optional", False) is not expected[variable], f"{workload}: {variable}"


def test_the_production_overlay_gives_every_service_each_setting_its_code_requires(monkeypatch):
    """Derived from the Settings classes (tests/deploy_values.py): every required secret and connection URL
    from the service's Secret, every setting whose default is a local address from the ConfigMap or the
    Secret; the adapters are the operator's choice (left unset, so production refuses to start until
    each is chosen). Then each service's Settings, built in production from exactly what the overlay gives
    (Secrets with test values, adapters named stub), find nothing to refuse."""
    values = deploy_values()
    objects = render("production")
    configs = values.config_maps(objects)
    for name in SERVICES:
        config = configs[f"{name}-config"]
        (container,) = [c for w, kind, c in values.containers(objects) if w == name and kind == "main"]
        from_secret = {e["name"] for e in container["env"] if "secretKeyRef" in e.get("valueFrom", {})}
        required = values.required_variables(name)
        assert f"{name.upper()}_SESSIONS_ENDED_URL" in required and f"{name.upper()}_AMQP_URL" in required
        for variable, why in required.items():
            if variable in values.WITH_ADAPTER:
                continue
            assert variable in config or variable in from_secret, f"{name}: {variable} ({why}) is not in the overlay"
        adapters = values.adapter_variables(name)
        assert not set(adapters) & set(config), f"{name}: the base chooses an adapter; that is the operator's"
        secret = {key: values.secret_test_value(key, config) for key in from_secret}
        secret[f"{name.upper()}_AMQP_URL"] = f"amqp://{name}:secret@rabbitmq:5672/"
        secret[f"{name.upper()}_DATABASE_URL"] = f"postgresql+asyncpg://{name}:secret@{name}-db-pooler:5432/{name}"
        secret[f"{name.upper()}_DATABASE_DIRECT_URL"] = f"postgresql+asyncpg://{name}:secret@{name}-db-rw:5432/{name}"
        env = values.environment(container, configs, secret) | {variable: "stub" for variable in adapters}
        with monkeypatch.context() as patched:  # read from the environment, as the process does
            for key, value in env.items():
                patched.setenv(key, value)
            settings = values.settings_class(name)()
        assert settings.is_production and settings.problems() == [], name
    readme = (K8S / "README.md").read_text()
    assert readme.count(generator().secrets_table()) == 1, "run deploy/k8s/generate.py: the table of secrets is stale"


def deploy_values():
    spec = importlib.util.spec_from_file_location("deploy_values", Path(__file__).parent / "deploy_values.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
