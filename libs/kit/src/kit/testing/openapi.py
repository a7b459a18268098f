"""A structural check of an OpenAPI 3.1 document, for the tests (openapi-spec-validator is not in the lock).

``faults(document)`` lists what a client generator would trip over, one line each: the top-level fields, every
``$ref`` resolving, path templates matching their path parameters, unique parameters, status codes, media types,
security naming a declared scheme, tags declared, operationIds unique and in ``<service>_<feature>_<action>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
OPERATION_ID = re.compile(r"^[a-z]+_[a-z0-9]+(_[a-z0-9]+)+$")
_STATUS = re.compile(r"^([1-5][0-9]{2}|[1-5]XX|default)$")
_MEDIA = re.compile(r"^[a-z*]+/[A-Za-z0-9.+*-]+$")


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def _refs(value: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "$ref" and isinstance(inner, str):
                yield where, inner
            else:
                yield from _refs(inner, f"{where}/{key}")
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _refs(inner, f"{where}/{i}")


def _resolves(document: dict[str, Any], ref: str) -> bool:
    if not ref.startswith("#/"):
        return False
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def faults(document: dict[str, Any], *, services: tuple[str, ...] = ()) -> list[str]:
    """What is wrong with ``document``; empty when it is sound. ``services``: the prefixes operationIds may have."""
    found: list[str] = []
    if not str(document.get("openapi", "")).startswith("3.1"):
        found.append("openapi: not 3.1")
    info = document.get("info", {})
    if not info.get("title") or not info.get("version"):
        found.append("info: title and version are required")
    for where, ref in _refs(document, "#"):
        if not _resolves(document, ref):
            found.append(f"{where}: $ref {ref} resolves to nothing")
    schemes = set(document.get("components", {}).get("securitySchemes", {}))
    tags = {tag["name"] for tag in document.get("tags", [])}
    ids: dict[str, str] = {}
    for path, method, operation in operations(document):
        name = f"{method.upper()} {path}"
        if not path.startswith("/"):
            found.append(f"{name}: a path starts with /")
        operation_id = operation.get("operationId", "")
        if not OPERATION_ID.match(operation_id) or (services and operation_id.split("_")[0] not in services):
            found.append(f"{name}: operationId {operation_id!r} is not <service>_<feature>_<action>")
        if operation_id in ids:
            found.append(f"{name}: operationId {operation_id} is also {ids[operation_id]}'s")
        ids[operation_id] = name
        templated = set(re.findall(r"{([^}]+)}", path))
        parameters = [p for p in operation.get("parameters", []) + document["paths"][path].get("parameters", [])
                      if "$ref" not in p]
        seen = [(p.get("name"), p.get("in")) for p in parameters]
        if len(seen) != len(set(seen)):
            found.append(f"{name}: a parameter is declared twice")
        declared = {p["name"] for p in parameters if p.get("in") == "path"}
        if templated != declared:
            found.append(f"{name}: path parameters {sorted(declared)} do not match the template {sorted(templated)}")
        for p in parameters:
            if p.get("in") not in ("path", "query", "header", "cookie"):
                found.append(f"{name}: parameter {p.get('name')} is in {p.get('in')!r}")
            if p.get("in") == "path" and p.get("required") is not True:
                found.append(f"{name}: path parameter {p.get('name')} must be required")
        responses = operation.get("responses") or {}
        if not responses:
            found.append(f"{name}: no responses")
        for status, response in responses.items():
            if not _STATUS.match(str(status)):
                found.append(f"{name}: status {status!r}")
            if "$ref" not in response and not isinstance(response.get("description"), str):
                found.append(f"{name} {status}: a response needs a description")
            for media in response.get("content", {}):
                if not _MEDIA.match(media):
                    found.append(f"{name} {status}: media type {media!r}")
        for requirement in operation.get("security", []):
            for scheme in requirement:
                if scheme not in schemes:
                    found.append(f"{name}: security names the undeclared scheme {scheme}")
        for tag in operation.get("tags", []):
            if tag not in tags:
                found.append(f"{name}: tag {tag!r} is not declared with a description")
    return found
