"""Writes the Kubernetes base (one file per service) from the table below, and the table of secrets in
deploy/k8s/README.md: `.venv/bin/python deploy/k8s/generate.py` (in the project environment: it reads the
services' Settings classes).

Every service gets the same shape, so the manifests are generated rather than copied six times; a test
checks that the committed files are what this script writes, renders the overlays with `kubectl
kustomize` and validates every object against the Kubernetes schemas.

Per service: a ConfigMap (non-secret settings), the API Deployment (no replicas: the autoscaler's; probes on
/health/live and /health/ready, preStop, topology spread, requests and limits, non-root, read-only root file
system), a Service, a HorizontalPodAutoscaler, a PodDisruptionBudget (maxUnavailable 1), a ServiceAccount
without token, a PodMonitor and NetworkPolicies; the outbox relay as its own Deployment (any number of
replicas is safe: one holds the advisory lock and publishes, the others stand by; readiness on its health
port); ``migrate`` as the init container of both (under an advisory lock: once per release, no Job); the
service's PostgreSQL as a CloudNativePG Cluster with a Pooler. RabbitMQ is one RabbitmqCluster (cluster
operator); one Ingress (TLS, SITHS client certificates passed on) leads to the web app and the gateway.
Every container runs the image's ENTRYPOINT (``python -m <service>``, the root Dockerfile) with ``args``.
Secrets are only referenced, never committed: each container reads the database and broker URLs (they hold
credentials) and every ``Secret`` setting of its service (``kit.settings``: signing and HMAC keys, journal
keys, webhook secret, pseudonym key, SMTP and SMS credentials, ...) one by one from ``<service>-secrets``
with ``secretKeyRef``. The list comes from the services' Settings classes, so it cannot drift from the
code; a required key missing from the Secret stops the pod before it starts, and a service started
without one refuses to run anyway (production fails closed).
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import yaml

from kit.settings import ServiceSettings

HERE = Path(__file__).resolve().parent
IMAGE = "registry.example.org/care"
#: The public addresses behind the Ingress: the web app (every link in every mail opens its pages) and
#: the gateway (front-end apps, iCalendar feeds, the payment provider's webhooks, SITHS logins)
PUBLIC_WEB_HOST = "app.care.example.org"
PUBLIC_API_HOST = "api.care.example.org"
PUBLIC_WEB_URL = f"https://{PUBLIC_WEB_HOST}"
PUBLIC_API_URL = f"https://{PUBLIC_API_HOST}"
#: Where the cluster's ingress controller (ingress-nginx) and Prometheus (the Prometheus operator) run:
#: the NetworkPolicies let only them in from outside the namespace
INGRESS_NAMESPACE = "ingress-nginx"
MONITORING_NAMESPACE = "monitoring"
CNPG_NAMESPACE = "cnpg-system"
RABBITMQ_OPERATOR_NAMESPACE = "rabbitmq-system"
#: Partner regions that consume logistics' partner events (LG-19): each gets a RabbitMQ user that may only
#: declare queues named ``partner.<region>.*``, bind them to ``partner.logistics`` and read them (the
#: messaging-topology operator's User, Permission and Policy). Add a region here and regenerate.
PARTNER_REGIONS = ["exempelregionen"]
PARTNER_EXCHANGE = "partner.logistics"
#: Where partner regions connect from (AMQPS, 5671, through the Service rabbitmq-partners): their egress
#: addresses; the documentation range below admits nobody until you replace it
PARTNER_CIDRS = ["192.0.2.0/24"]
#: The relay's readiness port (kit.relay.serve_health)
RELAY_HEALTH_PORT = 9000
#: Seconds a pod keeps serving after it is taken out of the Service's endpoints, before SIGTERM: the
#: ingress and the gateway stop sending it requests meanwhile
PRE_STOP_S = 5

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
#: Per service, the settings of its own that production needs besides kit's (the addresses of the others
#: and the public ones); tests/test_k8s_manifests.py derives from the Settings classes which they must be
OWN_SETTINGS = {
    "gateway": {
        "GATEWAY_SERVICES": json.dumps({name: f"http://{name}:{port}" for name, (port, *_) in SERVICES.items()
                                        if name != "gateway"}),
        # SITHS through the ingress: ingress-nginx verifies the client certificate against the SITHS CAs
        # (the Secret siths-ca) and passes it on in this header; the gateway verifies it again against the
        # same CAs (the ConfigMap siths-ca, mounted at /etc/siths) and believes the header only from
        # GATEWAY_TRUSTED_PROXIES
        "GATEWAY_SITHS_CERT_HEADER": "ssl-client-cert",
        "GATEWAY_SITHS_CA_BUNDLE": "/etc/siths/ca.pem",
    },
    "booking": {
        "BOOKING_PUBLIC_BASE_URL": f"{PUBLIC_API_URL}/api/booking",
        # the id of the key new journal notes are sealed with: one of the ids in BOOKING_JOURNAL_KEYS
        "BOOKING_JOURNAL_KEY_CURRENT": "2026-1",
    },
    # where the payment provider stub (BILLING_PAYMENT_PROVIDER=stub) sends its webhooks: the Service
    "billing": {"BILLING_STUB_WEBHOOK_URL": "http://billing:8002/webhooks/provider"},
    "logistics": {},
    "portal": {},
    "notify": {},
}

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


def container(name: str, cpu: str, memory: str, args: list[str], *, memory_limit: str = "512Mi") -> dict:
    """A container of the service's image: ENTRYPOINT ``python -m <service>`` (the root Dockerfile), so
    ``args`` is the command (none: serve; ``relay``; ``migrate``)."""
    spec: dict = {
        "name": name,
        "image": f"{IMAGE}/{name}:latest",
        **({"args": args} if args else {}),
        "envFrom": env_from(name),
        "env": secret_env(name),
        "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": "1", "memory": memory_limit}},
        "securityContext": SECURITY,
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    return spec


def api_container(name: str, port: int, cpu: str, memory: str) -> dict:
    spec = container(name, cpu, memory, [])
    spec["ports"] = [{"name": "http", "containerPort": port}]
    spec["readinessProbe"] = {"httpGet": {"path": "/health/ready", "port": "http"}, "periodSeconds": 5, "failureThreshold": 3}
    spec["livenessProbe"] = {"httpGet": {"path": "/health/live", "port": "http"}, "periodSeconds": 10, "failureThreshold": 6}
    spec["startupProbe"] = {"httpGet": {"path": "/health/live", "port": "http"}, "periodSeconds": 2, "failureThreshold": 30}
    # out of the endpoints first, then SIGTERM: requests already on their way still find it serving
    spec["lifecycle"] = {"preStop": {"exec": {"command": ["sleep", str(PRE_STOP_S)]}}}
    if name == "gateway":
        spec["volumeMounts"].append({"name": "siths-ca", "mountPath": "/etc/siths", "readOnly": True})
    return spec


def relay_container(name: str) -> dict:
    spec = container(name, "100m", "128Mi", ["relay"], memory_limit="256Mi")
    spec["ports"] = [{"name": "health", "containerPort": RELAY_HEALTH_PORT}]
    # 200 while connected (publishing, or a hot standby waiting for the lock), 503 while it retries
    spec["readinessProbe"] = {"httpGet": {"path": "/health/ready", "port": "health"}, "periodSeconds": 5, "failureThreshold": 3}
    return spec


def migrate_container(name: str) -> dict:
    """``migrate`` before the service starts, in every pod: under a PostgreSQL advisory lock
    (kit.migrations), so of pods starting together one migrates and the others find the database at head."""
    spec = container(name, "100m", "128Mi", ["migrate"], memory_limit="256Mi")
    spec["name"] = "migrate"
    return spec


def spread(name: str, component: str) -> list[dict]:
    """Replicas over zones and nodes, as far as the cluster allows (ScheduleAnyway: never unschedulable)."""
    return [{"maxSkew": 1, "topologyKey": key, "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": labels(name, component)}, "matchLabelKeys": ["pod-template-hash"]}
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")]


def pod(name: str, component: str, containers: list[dict], *, init: list[dict] | None = None,
        grace_s: int = 30) -> dict:
    spec: dict = {
        "serviceAccountName": name,
        "automountServiceAccountToken": False,  # no pod talks to the Kubernetes API
        "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "terminationGracePeriodSeconds": grace_s,
        "topologySpreadConstraints": spread(name, component),
        **({"initContainers": init} if init else {}),
        "containers": containers,
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }
    if name == "gateway" and component == "api":  # the SITHS CAs, public certificates (deploy/k8s/README.md)
        # not optional: the gateway reads GATEWAY_SITHS_CA_BUNDLE at start, so the pod waits (ContainerCreating,
        # an event naming the ConfigMap) until the operator has made it, instead of crash-looping
        spec["volumes"].append({"name": "siths-ca", "configMap": {"name": "siths-ca"}})
    return {"metadata": {"labels": labels(name, component)}, "spec": spec}


def config_map(name: str, port: int) -> dict:
    prefix = name.upper()
    data = {
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
        f"{prefix}_RELAY_HEALTH_PORT": str(RELAY_HEALTH_PORT),
        **OWN_SETTINGS.get(name, {}),
    }
    if "app_base_url" in settings_class(name).model_fields:  # the links in its mails: the web app's public address
        data[f"{prefix}_APP_BASE_URL"] = PUBLIC_WEB_URL
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-config", "labels": labels(name, "config")},
            "data": data}


def api_objects(name: str, port: int, low: int, high: int, cpu: str, memory: str, *, migrate: bool) -> list[dict]:
    """The API Deployment (no ``replicas``: the autoscaler owns the number), its Service, autoscaler,
    disruption budget and ServiceAccount."""
    api = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels(name, "api")},
        "spec": {
            "selector": {"matchLabels": labels(name, "api")},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            # PRE_STOP_S, then up to 25 s for the longest waiting request (?wait=), then the rest
            "template": pod(name, "api", [api_container(name, port, cpu, memory)],
                            init=[migrate_container(name)] if migrate else None, grace_s=45),
        },
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
    pdb = {  # one pod at a time may go (a drain never blocks, even at one replica)
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name, "labels": labels(name, "api")},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": labels(name, "api")}},
    }
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name, "labels": labels(name, "api")},
               "automountServiceAccountToken": False}
    return [api, service, hpa, pdb, account]


def peers(*selectors: dict) -> list[dict]:
    return [dict(s) for s in selectors]


def pods_of(name: str, *components: str) -> dict:
    return {"podSelector": {"matchLabels": {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "care"},
                            "matchExpressions": [{"key": "app.kubernetes.io/component", "operator": "In",
                                                  "values": list(components)}]}}


def namespace(name: str) -> dict:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": name}}}


def care_pods() -> dict:
    return {"podSelector": {"matchLabels": {"app.kubernetes.io/part-of": "care"}}}


def network_policy(policy: str, selector: dict, rules: list[dict], component: str, name: str) -> dict:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": policy, "labels": labels(name, component)},
            "spec": {"podSelector": {"matchLabels": selector}, "policyTypes": ["Ingress"], "ingress": rules}}


def service_network_policies(name: str, port: int) -> list[dict]:
    """Who may connect to what: the gateway takes traffic from the ingress controller, the web app and
    (for its JWKS and ended sessions) every pod of the platform; a service only from the gateway; a relay
    from nobody (its probe comes from the kubelet); a database and its pooler only from their own service
    (and CloudNativePG); everything from Prometheus."""
    monitoring = namespace(MONITORING_NAMESPACE)
    if name == "gateway":
        api_from = [namespace(INGRESS_NAMESPACE), care_pods(), monitoring]
    else:
        api_from = [pods_of("gateway", "api"), monitoring]
    own = pods_of(name, "api", "relay")
    cluster = {"podSelector": {"matchLabels": {"cnpg.io/cluster": f"{name}-db"}}}
    pooler = {"podSelector": {"matchLabels": {"cnpg.io/poolerName": f"{name}-db-pooler"}}}
    return [
        network_policy(name, labels(name, "api"), [{"from": api_from, "ports": [{"port": port}]}], "api", name),
        network_policy(f"{name}-relay", labels(name, "relay"), [{"from": [monitoring]}], "relay", name),
        network_policy(f"{name}-db", cluster["podSelector"]["matchLabels"],
                       [{"from": [own, pooler, cluster, namespace(CNPG_NAMESPACE), monitoring]}], "database", name),
        network_policy(f"{name}-db-pooler", pooler["podSelector"]["matchLabels"],
                       [{"from": [own, namespace(CNPG_NAMESPACE), monitoring]}], "database", name),
    ]


def pod_monitor(name: str) -> dict:
    """Prometheus (the operator's PodMonitor) scrapes every API pod's /metrics."""
    return {"apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor",
            "metadata": {"name": name, "labels": labels(name, "api")},
            "spec": {"selector": {"matchLabels": labels(name, "api")},
                     "podMetricsEndpoints": [{"port": "http", "path": "/metrics", "interval": "30s"}]}}


def objects(name: str, port: int, low: int, high: int, cpu: str, memory: str) -> list[dict]:
    relay = {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"{name}-relay", "labels": labels(name, "relay")},
        "spec": {
            "replicas": 2,  # no autoscaler: one publishes (advisory lock), one stands by
            "selector": {"matchLabels": labels(name, "relay")},
            "template": pod(name, "relay", [relay_container(name)], init=[migrate_container(name)]),
        },
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
    api, service, hpa, pdb, account = api_objects(name, port, low, high, cpu, memory, migrate=True)
    return [config_map(name, port), account, api, relay, service, hpa, pdb, pod_monitor(name),
            *service_network_policies(name, port), database, pooler]


def front_end_objects(name: str, port: int, low: int, high: int, cpu: str, memory: str) -> list[dict]:
    """A front-end: the API's objects (ConfigMap, Deployment, Service, autoscaler, disruption budget) with
    the gateway's address instead of a database, a broker and a relay; traffic only from the ingress."""
    prefix = name.upper()
    config = {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-config", "labels": labels(name, "config")},
        "data": {
            f"{prefix}_ENVIRONMENT": "production",
            f"{prefix}_HTTP_HOST": "0.0.0.0",
            f"{prefix}_HTTP_PORT": str(port),
            f"{prefix}_GATEWAY_URL": "http://gateway:8000",
            f"{prefix}_OTEL_EXPORTER": "otlp",
            f"{prefix}_OTEL_ENDPOINT": "http://otel-collector.observability:4318/v1/traces",
            f"{prefix}_LOG_LEVEL": "INFO",
            # the ingress controller before the web app (kit.net); narrow it to your cluster's CIDR
            f"{prefix}_TRUSTED_PROXIES": '["10.0.0.0/8"]',
        },
    }
    api, service, hpa, pdb, account = api_objects(name, port, low, high, cpu, memory, migrate=False)
    policy = network_policy(name, labels(name, "api"), [{"from": [namespace(INGRESS_NAMESPACE)], "ports": [{"port": port}]}],
                            "api", name)
    return [config, account, api, service, hpa, pdb, policy]


def ingress() -> dict:
    """The way in: TLS for both hosts (the certificate in the Secret care-tls, e.g. from cert-manager), the
    web app at PUBLIC_WEB_HOST, the gateway at PUBLIC_API_HOST. SITHS: ingress-nginx asks for a client
    certificate (optional: BankID and password users have none), verifies it against the Secret siths-ca
    and passes it on to the gateway in ``ssl-client-cert``. Timeouts above the 25 s of a waiting request;
    bodies up to the largest upload (logistics' activities, 32 MiB)."""
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "care", "labels": {"app.kubernetes.io/name": "care", "app.kubernetes.io/part-of": "care"},
                     "annotations": {
                         "nginx.ingress.kubernetes.io/auth-tls-secret": "care/siths-ca",
                         "nginx.ingress.kubernetes.io/auth-tls-verify-client": "optional",
                         "nginx.ingress.kubernetes.io/auth-tls-verify-depth": "3",
                         "nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream": "true",
                         "nginx.ingress.kubernetes.io/proxy-read-timeout": "60",
                         "nginx.ingress.kubernetes.io/proxy-body-size": "32m",
                         "nginx.ingress.kubernetes.io/ssl-redirect": "true",
                     }},
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": [PUBLIC_WEB_HOST, PUBLIC_API_HOST], "secretName": "care-tls"}],
            "rules": [
                {"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
                                                   "backend": {"service": {"name": backend, "port": {"name": "http"}}}}]}}
                for host, backend in ((PUBLIC_WEB_HOST, "web"), (PUBLIC_API_HOST, "gateway"))
            ],
        },
    }


def rabbitmq() -> list[dict]:
    cluster = {  # TLS (5671) for partner regions from the Secret rabbitmq-tls; the services use 5672 inside
        "apiVersion": "rabbitmq.com/v1beta1", "kind": "RabbitmqCluster",
        "metadata": {"name": "rabbitmq", "labels": {"app.kubernetes.io/name": "rabbitmq", "app.kubernetes.io/part-of": "care"}},
        "spec": {
            "replicas": 3,
            "image": "rabbitmq:4.1-management",
            "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "2Gi"}},
            "rabbitmq": {"additionalConfig": "default_queue_type = quorum\n"},
            "tls": {"secretName": "rabbitmq-tls"},
        },
    }
    # AMQP from the platform's pods; the nodes among themselves; the operators (cluster and topology) on
    # the management port; Prometheus on 15692
    policy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "rabbitmq", "labels": {"app.kubernetes.io/name": "rabbitmq", "app.kubernetes.io/part-of": "care"}},
              "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "rabbitmq"}}, "policyTypes": ["Ingress"],
                       "ingress": [
                           {"from": [care_pods()], "ports": [{"port": 5672}]},
                           {"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "rabbitmq"}}}]},
                           {"from": [namespace(RABBITMQ_OPERATOR_NAMESPACE)], "ports": [{"port": 15672}]},
                           {"from": [namespace(MONITORING_NAMESPACE)], "ports": [{"port": 15692}]},
                           {"from": [{"ipBlock": {"cidr": cidr}} for cidr in PARTNER_CIDRS], "ports": [{"port": 5671}]},
                       ]}}
    partners = {  # AMQPS only, from outside the cluster
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "rabbitmq-partners", "labels": {"app.kubernetes.io/name": "rabbitmq", "app.kubernetes.io/part-of": "care"}},
        "spec": {"type": "LoadBalancer", "selector": {"app.kubernetes.io/name": "rabbitmq"},
                 "loadBalancerSourceRanges": PARTNER_CIDRS,
                 "ports": [{"name": "amqps", "port": 5671, "targetPort": 5671}]},
    }
    return [cluster, policy, partners, *(o for region in PARTNER_REGIONS for o in partner_region(region))]


def partner_permissions(region: str) -> dict[str, str]:
    """RabbitMQ's three permissions of a partner region's user (regular expressions over resource names):
    configure (declare, delete) and write (bind a queue, publish) only its own queues ``partner.<region>.*``;
    read (consume a queue, bind from an exchange) those and ``partner.logistics``. So it can bind its queues
    to partner.logistics and nothing else, publish nowhere, and read no service's queue."""
    own = f"^partner\\.{region}\\..+$"
    return {"configure": own, "write": own, "read": f"^(partner\\.logistics|partner\\.{region}\\..+)$"}


def partner_region(region: str) -> list[dict]:
    meta = {"labels": {"app.kubernetes.io/name": "rabbitmq", "app.kubernetes.io/component": "partner",
                       "app.kubernetes.io/part-of": "care", "care.example.org/partner-region": region}}
    cluster = {"rabbitmqClusterReference": {"name": "rabbitmq"}}
    return [
        {"apiVersion": "rabbitmq.com/v1beta1", "kind": "User", "metadata": {"name": f"partner-{region}", **meta},
         "spec": {**cluster, "tags": [], "importCredentialsSecret": {"name": f"partner-{region}-credentials"}}},
        {"apiVersion": "rabbitmq.com/v1beta1", "kind": "Permission", "metadata": {"name": f"partner-{region}", **meta},
         "spec": {**cluster, "vhost": "/", "userReference": {"name": f"partner-{region}"},
                  "permissions": partner_permissions(region)}},
        {"apiVersion": "rabbitmq.com/v1beta1", "kind": "Policy", "metadata": {"name": f"partner-{region}", **meta},
         # a region that stops reading cannot fill the broker: its queues hold at most 100,000 messages or
         # 7 days, the oldest dropped first; an unused queue goes after 30 days
         "spec": {**cluster, "name": f"partner-{region}", "vhost": "/", "pattern": f"^partner\\.{region}\\.",
                  "applyTo": "queues", "priority": 10,
                  "definition": {"max-length": 100000, "message-ttl": 7 * 24 * 3600 * 1000,
                                 "expires": 30 * 24 * 3600 * 1000}}},
    ]


def render() -> dict[str, str]:
    files = {}
    for name, (port, low, high, cpu, memory) in SERVICES.items():
        files[f"{name}.yaml"] = yaml.safe_dump_all(objects(name, port, low, high, cpu, memory), sort_keys=False)
    for name, (port, low, high, cpu, memory) in FRONT_ENDS.items():
        files[f"{name}.yaml"] = yaml.safe_dump_all(front_end_objects(name, port, low, high, cpu, memory), sort_keys=False)
    files["rabbitmq.yaml"] = yaml.safe_dump_all(rabbitmq(), sort_keys=False)
    files["ingress.yaml"] = yaml.safe_dump(ingress(), sort_keys=False)
    resources = "".join(f"  - {f}\n" for f in sorted(files))
    files["kustomization.yaml"] = (
        "# Generated by deploy/k8s/generate.py: edit the script, not this file.\n"
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "labels:\n  - pairs:\n      app.kubernetes.io/managed-by: kustomize\n"
        f"resources:\n{resources}"
    )
    header = "# Generated by deploy/k8s/generate.py: edit the script, not this file.\n"
    return {k: v if k == "kustomization.yaml" else header + v for k, v in files.items()}


TABLE_START = "<!-- the table of secrets: written by generate.py -->\n"
TABLE_END = "<!-- end of the table of secrets -->\n"


def secrets_table() -> str:
    """deploy/k8s/README.md's one table of every Secret the overlays reference, from the Settings classes."""
    rows = ["| Secret | key | needed | what |", "| --- | --- | --- | --- |"]
    what = {"DATABASE_URL": "the database through its PgBouncer, as the service's role: "
                            "`postgresql+asyncpg://<service>:<password>@<service>-db-pooler:5432/<service>`",
            "DATABASE_DIRECT_URL": "the database itself (LISTEN, advisory locks, migrations): "
                                   "`postgresql+asyncpg://<service>:<password>@<service>-db-rw:5432/<service>`",
            "AMQP_URL": "RabbitMQ as the service's own user: `amqp://<service>:<password>@rabbitmq:5672/`",
            "SIGNING_KEY_PEM": "the Ed25519 key tokens are signed with, PEM: `openssl genpkey -algorithm ed25519`",
            "IDENTITY_HMAC_KEY": "the key personal numbers are hashed with for look-up; never changes once accounts exist",
            "BANKID_CLIENT_CERT_PEM": "the BankID RP certificate (with `GATEWAY_BANKID_ADAPTER=http`)",
            "BANKID_CLIENT_KEY_PEM": "its private key",
            "JOURNAL_KEYS": "the journal's key-encryption keys, JSON `{\"<id>\": \"<base64 of 32 bytes>\"}`; one id is "
                            "`BOOKING_JOURNAL_KEY_CURRENT` (ConfigMap)",
            "LICENCE_REGISTER_API_KEY": "the licence register's key (with `BOOKING_LICENCE_REGISTER=http`)",
            "PAYMENT_PROVIDER_API_KEY": "the payment provider's key (with `BILLING_PAYMENT_PROVIDER=http`)",
            "PROVIDER_WEBHOOK_SECRET": "the secret the payment provider signs its webhooks with",
            "BANK_API_KEY": "the bank's key (with `BILLING_BANK=http`)",
            "PARTNER_PSEUDONYM_KEY": "the key of the recipients' pseudonyms in partner events; keep it stable",
            "POPULATION_REGISTER_API_KEY": "SPAR's key (with `LOGISTICS_POPULATION_REGISTER=http`, or a client certificate)",
            "SMTP_PASSWORD": "the SMTP login's password (with `NOTIFY_MAIL_ADAPTER=smtp`)",
            "SMS_API_TOKEN": "the SMS provider's token (with `NOTIFY_SMS_PROVIDER=http`)",
            "COOKIE_SECRET": "the key the web app signs its CSRF cookie with"}
    for name, keys in secret_keys().items():
        optional = optional_secret_keys(name)
        for key in keys:
            short = key.removeprefix(f"{name.upper()}_")
            rows.append(f"| `{name}-secrets` | `{key}` | {'with its adapter' if key in optional else 'always'} | "
                        f"{what.get(short, 'a `Secret` setting of ' + name + ' (its settings.py)')} |")
    for name in SERVICES:
        rows.append(f"| `{name}-db-credentials` | `username` (= `{name}`), `password` | always | "
                    "type `kubernetes.io/basic-auth`: the role CloudNativePG makes the owner of the database; the "
                    "same password as in the two database URLs |")
    rows.append("| `siths-ca` | `ca.crt` | for SITHS | the SITHS CA certificates ingress-nginx verifies client certificates "
                "against (the ConfigMap `siths-ca`, key `ca.pem`, holds the same for the gateway) |")
    rows.append("| `rabbitmq-tls` | `tls.crt`, `tls.key` | always | the broker's certificate for AMQPS (5671), where "
                "partner regions connect |")
    for region in PARTNER_REGIONS:
        rows.append(f"| `partner-{region}-credentials` | `username` (= `partner-{region}`), `password` | per partner "
                    "region | its RabbitMQ login (the topology operator's User imports it); give it to the region |")
    rows.append("| `care-tls` | `tls.crt`, `tls.key` | always | the certificate of "
                f"`{PUBLIC_WEB_HOST}` and `{PUBLIC_API_HOST}` (e.g. from cert-manager) |")
    return "\n".join(rows) + "\n"


def write_readme_table() -> None:
    readme = HERE / "README.md"
    text = readme.read_text()
    before, rest = text.split(TABLE_START, 1)
    _, after = rest.split(TABLE_END, 1)
    readme.write_text(before + TABLE_START + secrets_table() + TABLE_END + after)


if __name__ == "__main__":
    for filename, content in render().items():
        (HERE / "base" / filename).write_text(content)
    write_readme_table()
    print(f"wrote {len(render())} files to {HERE / 'base'} and the table of secrets to {HERE / 'README.md'}")
