"""Writes the Kubernetes base (one file per service) from the table below: `uv run python deploy/k8s/generate.py`
(in the project environment: it reads the services' Settings classes).

Every service gets the same shape, so the manifests are generated rather than copied six times; a test
checks that the committed files are what this script writes, renders the overlays with `kubectl
kustomize` and validates every object against the Kubernetes schemas.

Per service: a ConfigMap (non-secret settings), the API Deployment (probes on /health/live and
/health/ready, requests and limits, non-root, read-only root file system), a Service, a
HorizontalPodAutoscaler and a PodDisruptionBudget; the outbox relay as its own Deployment (any number of
replicas is safe: one holds the advisory lock and publishes, the others stand by); a migration Job;
the service's PostgreSQL as a CloudNativePG Cluster. RabbitMQ is one RabbitmqCluster (cluster operator).
Secrets are only referenced, never committed: each container reads the database and broker URLs (they hold
credentials) and every ``Secret`` setting of its service (``kit.settings``: signing and HMAC keys, journal
keys, webhook secret, pseudonym key, SMTP and SMS credentials, ...) one by one from ``<service>-secrets``
with ``secretKeyRef``. The list comes from the services' Settings classes, so it cannot drift from the
code; a required key missing from the Secret stops the pod before it starts, and a service started
without one refuses to run anyway (production fails closed).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

from kit.settings import ServiceSettings

HERE = Path(__file__).resolve().parent
IMAGE = "registry.example.org/care"
#: The web app's public address (the ingress in front of the web Service): every link in every mail
PUBLIC_WEB_URL = "https://app.care.example.org"

SERVICES = {
    # name: (port, min replicas, max replicas, cpu request, memory request)
    "gateway": (8000, 2, 10, "250m", "256Mi"),
    "booking": (8001, 2, 10, "250m", "256Mi"),
    "billing": (8002, 2, 6, "200m", "256Mi"),
    "logistics": (8003, 2, 8, "250m", "256Mi"),
    "portal": (8004, 2, 6, "200m", "256Mi"),
    "notify": (8005, 2, 6, "200m", "256Mi"),
}
#: Front-ends: no database, no relay, no migration; they call the gateway only (same columns as above)
FRONT_ENDS = {
    "web": (8006, 2, 6, "100m", "128Mi"),
}
#: Settings that are not ``Secret`` typed but hold credentials: taken from the Secret as well.
#: DATABASE_URL leads to the database's PgBouncer (the Pooler), DATABASE_DIRECT_URL to the database itself
#: (the Cluster's -rw Service), both as the service's own role (the Cluster's owner).
CONNECTION_SECRETS = ["DATABASE_URL", "DATABASE_DIRECT_URL", "AMQP_URL"]

SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": 10001,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}


def labels(name: str, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/component": component, "app.kubernetes.io/part-of": "care"}


def settings_class(name: str) -> type[ServiceSettings]:
    return importlib.import_module(f"{name}.settings").Settings


def secret_keys() -> dict[str, list[str]]:
    """Which keys each service's Secret holds: the connection URLs and every ``Secret`` setting (a
    front-end has no connection URLs: only its own secrets)."""
    return {**{name: [f"{name.upper()}_{k}" for k in CONNECTION_SECRETS] + settings_class(name).secret_variables()
               for name in SERVICES},
            **{name: settings_class(name).secret_variables() for name in FRONT_ENDS}}


def optional_secret_keys(name: str) -> set[str]:
    """Secrets only some configurations need (``kit.settings.OptionalSecret``): the pod starts without them
    and the service's own check says when one is required."""
    return set(settings_class(name).secret_variables(required=False))


def env_from(name: str) -> list[dict]:
    return [{"configMapRef": {"name": f"{name}-config"}}]


def secret_env(name: str) -> list[dict]:
    optional = optional_secret_keys(name)
    return [{"name": key, "valueFrom": {"secretKeyRef": {"name": f"{name}-secrets", "key": key,
                                                          **({"optional": True} if key in optional else {})}}}
            for key in secret_keys()[name]]


def container(name: str, port: int, cpu: str, memory: str, args: list[str], probes: bool) -> dict:
    spec: dict = {
        "name": name,
        "image": f"{IMAGE}/{name}:latest",
        "args": args,
        "envFrom": env_from(name),
        "env": secret_env(name),
        "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "securityContext": SECURITY,
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    if probes:
        spec["ports"] = [{"name": "http", "containerPort": port}]
        spec["readinessProbe"] = {"httpGet": {"path": "/health/ready", "port": "http"}, "periodSeconds": 5, "failureThreshold": 3}
        spec["livenessProbe"] = {"httpGet": {"path": "/health/live", "port": "http"}, "periodSeconds": 10, "failureThreshold": 6}
        spec["startupProbe"] = {"httpGet": {"path": "/health/live", "port": "http"}, "periodSeconds": 2, "failureThreshold": 30}
    return spec


def pod(name: str, component: str, containers: list[dict], restart: str | None = None) -> dict:
    spec: dict = {
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
        "terminationGracePeriodSeconds": 30,
        "containers": containers,
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }
    if restart:
        spec["restartPolicy"] = restart
    return {"metadata": {"labels": labels(name, component)}, "spec": spec}


def objects(name: str, port: int, low: int, high: int, cpu: str, memory: str) -> list[dict]:
    prefix = name.upper()
    config = {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-config", "labels": labels(name, "config")},
        "data": {
            f"{prefix}_ENVIRONMENT": "production",
            f"{prefix}_HTTP_HOST": "0.0.0.0",
            f"{prefix}_HTTP_PORT": str(port),
            f"{prefix}_EXCHANGE": "events",
            f"{prefix}_OTEL_EXPORTER": "otlp",
            f"{prefix}_OTEL_ENDPOINT": "http://otel-collector.observability:4318/v1/traces",
            f"{prefix}_JWT_JWKS_URL": "http://gateway:8000/.well-known/jwks.json",
            f"{prefix}_SESSIONS_ENDED_URL": "http://gateway:8000/identity/sessions/ended",
            f"{prefix}_LOG_LEVEL": "INFO",
            # the connection budget (README, "Connection budget"): per process at most pool + overflow, through
            # the database's PgBouncer (transaction mode); DATABASE_DIRECT_URL (the Secret) bypasses it for
            # LISTEN/NOTIFY, the relay's advisory lock and migrations
            f"{prefix}_DATABASE_PGBOUNCER": "true",
            f"{prefix}_DATABASE_POOL_SIZE": "5",
            f"{prefix}_DATABASE_MAX_OVERFLOW": "5",
            # whose X-Forwarded-For is believed (kit.net): the pod network, where the gateway (before a
            # service) and the ingress controller (before the gateway) run; narrow it to your cluster's CIDR
            f"{prefix}_TRUSTED_PROXIES": '["10.0.0.0/8"]',
        },
    }
    if "app_base_url" in settings_class(name).model_fields:  # the links in its mails: the web app's public address
        config["data"][f"{prefix}_APP_BASE_URL"] = PUBLIC_WEB_URL
    api = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels(name, "api")},
        "spec": {
            "replicas": low,
            "selector": {"matchLabels": labels(name, "api")},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": pod(name, "api", [container(name, port, cpu, memory, [], probes=True)]),
        },
    }
    relay = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"{name}-relay", "labels": labels(name, "relay")},
        "spec": {
            "replicas": 2,  # one publishes (advisory lock), one stands by
            "selector": {"matchLabels": labels(name, "relay")},
            "template": pod(name, "relay", [container(name, port, "100m", "128Mi", ["relay"], probes=False)]),
        },
    }
    migrate = {
        "apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": f"{name}-migrate", "labels": labels(name, "migrate")},
        "spec": {"backoffLimit": 3, "template": pod(name, "migrate", [container(name, port, "100m", "128Mi", ["migrate"], probes=False)], restart="OnFailure")},
    }
    service = {
        "apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": labels(name, "api")},
        "spec": {"selector": labels(name, "api"), "ports": [{"name": "http", "port": port, "targetPort": "http"}]},
    }
    hpa = {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name, "labels": labels(name, "api")},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": low, "maxReplicas": high,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
        },
    }
    pdb = {
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name, "labels": labels(name, "api")},
        "spec": {"minAvailable": 1, "selector": {"matchLabels": labels(name, "api")}},
    }
    database = {
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "metadata": {"name": f"{name}-db", "labels": labels(name, "database")},
        "spec": {
            "instances": 3,
            "bootstrap": {"initdb": {"database": name, "owner": name, "secret": {"name": f"{name}-db-credentials"}}},
            "storage": {"size": "10Gi"},
            "monitoring": {"enablePodMonitor": True},
        },
    }
    pooler = {  # PgBouncer in transaction mode before the database: many pods' pools, few server connections
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Pooler", "metadata": {"name": f"{name}-db-pooler", "labels": labels(name, "database")},
        "spec": {
            "cluster": {"name": f"{name}-db"}, "instances": 2, "type": "rw",
            "pgbouncer": {"poolMode": "transaction",
                          "parameters": {"max_client_conn": "1000", "default_pool_size": "20", "server_reset_query": ""}},
        },
    }
    return [config, api, relay, migrate, service, hpa, pdb, database, pooler]


def front_end_objects(name: str, port: int, low: int, high: int, cpu: str, memory: str) -> list[dict]:
    """A front-end: the API's objects (ConfigMap, Deployment, Service, autoscaler, disruption budget) with
    the gateway's address instead of a database, a broker and a relay."""
    prefix = name.upper()
    config, api, _relay, _migrate, service, hpa, pdb, _database, _pooler = objects(name, port, low, high, cpu, memory)
    config["data"] = {
        f"{prefix}_ENVIRONMENT": "production",
        f"{prefix}_HTTP_HOST": "0.0.0.0",
        f"{prefix}_HTTP_PORT": str(port),
        f"{prefix}_GATEWAY_URL": "http://gateway:8000",
        f"{prefix}_OTEL_EXPORTER": "otlp",
        f"{prefix}_OTEL_ENDPOINT": "http://otel-collector.observability:4318/v1/traces",
        f"{prefix}_LOG_LEVEL": "INFO",
        # the ingress controller before the web app (kit.net); narrow it to your cluster's CIDR
        f"{prefix}_TRUSTED_PROXIES": '["10.0.0.0/8"]',
    }
    return [config, api, service, hpa, pdb]


def rabbitmq() -> dict:
    return {
        "apiVersion": "rabbitmq.com/v1beta1", "kind": "RabbitmqCluster",
        "metadata": {"name": "rabbitmq", "labels": {"app.kubernetes.io/name": "rabbitmq", "app.kubernetes.io/part-of": "care"}},
        "spec": {
            "replicas": 3,
            "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
            "rabbitmq": {"additionalConfig": "default_queue_type = quorum\n"},
        },
    }


def render() -> dict[str, str]:
    files = {}
    for name, (port, low, high, cpu, memory) in SERVICES.items():
        files[f"{name}.yaml"] = yaml.safe_dump_all(objects(name, port, low, high, cpu, memory), sort_keys=False)
    for name, (port, low, high, cpu, memory) in FRONT_ENDS.items():
        files[f"{name}.yaml"] = yaml.safe_dump_all(front_end_objects(name, port, low, high, cpu, memory), sort_keys=False)
    files["rabbitmq.yaml"] = yaml.safe_dump(rabbitmq(), sort_keys=False)
    resources = "".join(f"  - {f}\n" for f in sorted(files))
    files["kustomization.yaml"] = (
        "# Generated by deploy/k8s/generate.py: edit the script, not this file.\n"
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "labels:\n  - pairs:\n      app.kubernetes.io/managed-by: kustomize\n"
        f"resources:\n{resources}"
    )
    header = "# Generated by deploy/k8s/generate.py: edit the script, not this file.\n"
    return {k: v if k == "kustomization.yaml" else header + v for k, v in files.items()}


if __name__ == "__main__":
    for filename, content in render().items():
        (HERE / "base" / filename).write_text(content)
    print(f"wrote {len(render())} files to {HERE / 'base'}")
