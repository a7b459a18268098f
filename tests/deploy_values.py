"""What the deploy tests need of the manifests and the code: the rendered overlay, each service's settings
as the production overlay gives them, and test values for the Secrets (tests/test_k8s_manifests.py and
tests/test_deploy_smoke.py load this file by path)."""

from __future__ import annotations

import base64
import importlib
import importlib.util
import json
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"


def generator() -> Any:
    spec = importlib.util.spec_from_file_location("k8s_generate", K8S / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render(overlay: str) -> list[dict]:
    """The overlay as `kubectl kustomize` renders it (what `kubectl apply -k` sends)."""
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is needed to render the manifests (apt-get install kubectl, or the kubernetes-client package)"
    result = subprocess.run([kubectl, "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def settings_class(name: str) -> Any:
    return importlib.import_module(f"{name}.settings").Settings


def adapter_variables(name: str) -> list[str]:
    """The variables choosing an outside system's adapter (``kit.settings.adapter``): the operator's choice."""
    cls = settings_class(name)
    prefix = cls.model_config["env_prefix"]
    return [f"{prefix}{field}".upper() for field, info in cls.model_fields.items()
            if any(type(m).__name__ == "_AdapterMarker" for m in info.metadata)]


def required_variables(name: str) -> dict[str, str]:
    """Every setting production must be given, derived from the Settings class: each secret production
    requires, the connection URLs, and each setting whose default is an address on this machine (another
    system's address or a public link: right on a laptop, wrong in a pod). Variable -> why."""
    cls = settings_class(name)
    prefix = cls.model_config["env_prefix"]
    found = {f"{prefix}{key}": "connection (Secret)" for key in ("DATABASE_URL", "DATABASE_DIRECT_URL", "AMQP_URL")
             if f"{key.lower()}" in cls.model_fields}
    for field, info in cls.model_fields.items():
        variable = f"{prefix}{field}".upper()
        markers = [m for m in info.metadata if type(m).__name__ == "_SecretMarker"]
        if markers:
            if all(m.required for m in markers):
                found[variable] = "secret"
            continue
        default = info.get_default(call_default_factory=True)
        text = json.dumps(default) if isinstance(default, dict | list) else str(default)
        if field != "http_host" and ("127.0.0.1" in text or "localhost" in text):
            found[variable] = f"defaults to a local address ({text[:60]})"
    return found


#: Settings with a local default that only an adapter the operator chooses needs (NOTIFY_MAIL_ADAPTER=smtp
#: needs its SMTP server): given with that choice, not by the overlay
WITH_ADAPTER = {"NOTIFY_SMTP_HOST": "NOTIFY_MAIL_ADAPTER=smtp"}


def ed25519_pem() -> str:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def secret_test_value(variable: str, config: dict[str, str]) -> str:
    """A value of the right shape for a secret the overlay reads from a Secret (never a development one)."""
    if variable.endswith("_PEM") and "SIGNING" in variable:
        return ed25519_pem()
    if variable == "BOOKING_JOURNAL_KEYS":
        return json.dumps({config["BOOKING_JOURNAL_KEY_CURRENT"]: base64.b64encode(secrets.token_bytes(32)).decode()})
    return secrets.token_urlsafe(32)


def containers(objects: list[dict]) -> list[tuple[str, str, dict]]:
    """(workload, kind of container, container) for every container of every Deployment: init containers
    first, as the kubelet runs them."""
    found = []
    for obj in objects:
        if obj["kind"] != "Deployment":
            continue
        spec = obj["spec"]["template"]["spec"]
        found += [(obj["metadata"]["name"], "init", c) for c in spec.get("initContainers", [])]
        found += [(obj["metadata"]["name"], "main", c) for c in spec["containers"]]
    return found


def config_maps(objects: list[dict]) -> dict[str, dict[str, str]]:
    return {o["metadata"]["name"]: o["data"] for o in objects if o["kind"] == "ConfigMap"}


def environment(container: dict, configs: dict[str, dict[str, str]], secret: dict[str, str]) -> dict[str, str]:
    """The container's environment as the kubelet makes it: envFrom ConfigMaps, then env (values, and
    secretKeyRefs from ``secret``: a missing required key is an error, as CreateContainerConfigError)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        env.update(configs[source["configMapRef"]["name"]])
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
            continue
        ref = item["valueFrom"]["secretKeyRef"]
        if ref["key"] in secret:
            env[item["name"]] = secret[ref["key"]]
        else:
            assert ref.get("optional"), f"{container['name']}: {ref['name']} has no key {ref['key']}"
    return env
