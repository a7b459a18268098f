"""Every service's OpenAPI document, and the gateway's merge of them (issue #22).

``install(app, service)`` (from ``kit.service.Service.create_app``) replaces FastAPI's document with one a
front-end team can generate a client from, derived from the routes rather than typed per route:

- **problems**: each operation declares the problem+json answers it can give (``Problem``; the 422 as
  ``ValidationProblem`` with its ``errors: [{field, message}]``), with the problem ``type``s listed: 401/403
  from a bearer dependency (:func:`kit.auth.current_principal` and any marked with
  :func:`kit.auth.bearer`), 422 for any input, 404 for a path parameter, 413 for a body, 503 (pool
  timeout, database away) and 409 (a constraint) for a route with a unit of work, and whatever the
  route's code raises (:mod:`kit.raises`: idempotency's 422, the throttle's 429, a use case's 409s, an
  adapter's 503); 422 ``invalid-value`` where a unit of work stores the input;
- **security**: a bearer scheme (``bearerAuth``) on every protected operation, ``security: []`` on the public;
  the roles a route requires as ``x-roles``;
- **names**: operationIds ``<service>_<feature>_<function>`` (unless the route names its own); each tag described by its feature's docstring;
- **headers**: ``X-Correlation-ID`` on every answer, ``Idempotent-Replayed`` where an ``Idempotency-Key`` is
  taken, ``Retry-After`` on 429/503, and the headers a download sets (``Receipt-Number``, ``Content-Disposition``);
- **downloads**: the media type the route answers with (read from its ``Response(..., media_type=…)``) as a binary.

:func:`merge` puts the services' documents under the gateway's public paths (``/api/<service>/…``).
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from kit import problems, raises

PROBLEM = {"$ref": "#/components/schemas/Problem"}
VALIDATION_PROBLEM = {"$ref": "#/components/schemas/ValidationProblem"}
#: The schemas kit adds to every document: one name across all services
KIT_SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "title": "Problem",
        "description": "A problem (RFC 9457). ``type`` is stable (a slug under /problems/); ``detail`` is for people.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "examples": ["/problems/not-found"]},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string", "description": "the path of the request"},
            "correlation_id": {"type": "string", "format": "uuid"},
        },
        "additionalProperties": True,
    },
    "FieldError": {
        "type": "object",
        "title": "FieldError",
        "required": ["field", "message"],
        "properties": {"field": {"type": "string", "examples": ["body.starts_at"]}, "message": {"type": "string"}},
    },
    "ValidationProblem": {
        "type": "object",
        "title": "ValidationProblem",
        "description": "A 422: the request's input is not valid. A request that does not fit the schema lists each "
                       "field in ``errors`` (at most 20; ``more_errors`` counts the rest); a rule of the use case "
                       "says why in ``detail``.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string", "examples": ["/problems/validation-error"]},
            "title": {"type": "string"},
            "status": {"type": "integer", "const": 422},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "correlation_id": {"type": "string", "format": "uuid"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
            "more_errors": {"type": "integer"},
        },
        "additionalProperties": True,
    },
}
HEADERS: dict[str, Any] = {
    "X-Correlation-ID": {"description": "The request's correlation id (the caller's X-Correlation-ID, or a new "
                                        "one); quote it when reporting a problem.",
                         "schema": {"type": "string", "format": "uuid"}},
    "Idempotent-Replayed": {"description": "``true`` when this is the stored answer to an earlier request with "
                                           "the same Idempotency-Key", "schema": {"type": "string", "enum": ["true"]}},
    "Retry-After": {"description": "Seconds to wait before trying again", "schema": {"type": "integer"}},
    "WWW-Authenticate": {"description": "``Bearer``", "schema": {"type": "string"}},
    "Content-Language": {"description": "The language of the problem's title: the best of sv, nb, nl, en the "
                                        "request's Accept-Language asks for (en when it names none)",
                         "schema": {"type": "string", "enum": ["sv", "nb", "nl", "en"]}},
}
SECURITY_SCHEME = {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                                  "description": "An access token from the gateway's /identity/… sign-in routes"}}
#: Headers the platform's answers carry that a browser's script may read (kit.http's CORS exposes them)
EXPOSED_HEADERS = ["X-Correlation-ID", "Idempotent-Replayed", "Retry-After", "Receipt-Number", "Content-Disposition",
                   "WWW-Authenticate"]
METHODS = ("get", "put", "post", "delete", "patch")
DEVELOPMENT_TAG = "development"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def install(app: FastAPI, service: str) -> None:
    """Serve :func:`document` as the app's ``/openapi.json`` (built once, on first use)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app, service)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


# -- reading a route -----------------------------------------------------------------------------------------
def api_routes(app: FastAPI) -> Iterator[Any]:
    """Every API route of ``app`` as mounted (prefix, tags and router dependencies applied), as FastAPI's
    own document sees it."""
    for context in routing.iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            yield context


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _calls(route: Any) -> list[Any]:
    return [d.call for d in _dependants(route.dependant) if d.call is not None]


def is_protected(route: Any) -> bool:
    return any(getattr(call, "__kit_bearer__", False) for call in _calls(route))


def roles_of(route: Any) -> list[str]:
    return sorted({role for call in _calls(route) for role in getattr(call, "__kit_roles__", ())})


def _inputs(route: Any) -> tuple[bool, bool, bool]:
    """(has any input, has a path parameter, has a body)"""
    every = list(_dependants(route.dependant))
    path = any(d.path_params for d in every)
    body = any(d.body_params for d in every)
    others = any(d.query_params or d.header_params or d.cookie_params for d in every)
    return path or body or others, path, body


def _has_session(route: Any) -> bool:
    from kit.service import _session

    return any(call is _session for call in _calls(route))


def _takes_idempotency_key(route: Any) -> bool:
    return any(getattr(p, "alias", None) == "Idempotency-Key" for d in _dependants(route.dependant)
               for p in d.header_params)


def feature_of(module: str, service: str) -> str:
    """``booking.calendar.routes`` → calendar; ``gateway.identity.recovery_routes`` → identity; ``kit.health`` →
    health; a service's top-level ``routes`` module → the service's name."""
    parts = module.split(".")[1:]
    for part in parts:
        name = part.removesuffix("_routes")
        if name and name != "routes":
            return name
    return service


def route_problems(route: Any) -> dict[int, set[str]]:
    """Status → problem types (slugs) the route can answer."""
    found: set[raises.Kind] = set()
    if is_protected(route):
        found |= {(401, "unauthorized"), (403, "forbidden")}
    any_input, path, body = _inputs(route)
    if any_input:
        found.add((422, "validation-error"))
    if path:
        found.add((404, "not-found"))
    if body:
        found.add((413, "payload-too-large"))
    if _has_session(route):
        found |= {(503, "service-busy"), (503, "service-unavailable")}
        if any_input:  # a value the database cannot store (kit.problems.data_exception)
            found.add((422, "invalid-value"))
        if route.methods - {"GET", "HEAD"}:
            found.add((409, "conflict"))
    package = route.endpoint.__module__.split(".")[0]
    found |= raises.problems_of(_calls(route), [package])
    out: dict[int, set[str]] = {}
    for status, slug in found:
        if 400 <= status < 600:
            out.setdefault(status, set())
            if slug:
                out[status].add(slug)
    return out


def _download(route: Any) -> tuple[str, set[str]] | None:
    """(media type, header names) of a route answering with a plain ``Response``, read from its code."""
    from fastapi.responses import JSONResponse, Response

    response_class = getattr(route.response_class, "value", route.response_class)
    if not (isinstance(response_class, type) and issubclass(response_class, Response)) or issubclass(
            response_class, JSONResponse):
        return None
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(route.endpoint)))
    except (OSError, TypeError, SyntaxError):
        return "application/octet-stream", set()
    media, headers = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "media_type":
            media.add(node.value.value if isinstance(node.value, ast.Constant) else "*/*")
        if isinstance(node, ast.keyword) and node.arg == "headers" and isinstance(node.value, ast.Dict):
            headers |= {k.value for k in node.value.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)}
    chosen = sorted(media)[0] if len(media) == 1 else ("*/*" if media else "application/octet-stream")
    return chosen.split(";")[0].strip(), headers


def _docstring_of(module_name: str) -> str:
    doc = inspect.getdoc(sys.modules.get(module_name)) or ""
    return doc.split("\n\n")[0].replace("\n", " ").strip()


# -- the document -----------------------------------------------------------------------------------------
def document(app: FastAPI, service: str) -> dict[str, Any]:
    doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(KIT_SCHEMAS)
    components["headers"] = HEADERS
    components["securitySchemes"] = SECURITY_SCHEME
    tags: dict[str, str] = {}
    seen: dict[str, str] = {}
    for route in api_routes(app):
        item = doc["paths"].get(route.path_format, {})
        feature = feature_of(route.endpoint.__module__, service)
        for method in sorted(m.lower() for m in route.methods if m.lower() in item):
            operation = item[method]
            operation_id = route.operation_id  # a route may name itself; else derived
            if not operation_id:
                operation_id = re.sub(r"[^A-Za-z0-9_]", "_", f"{service}_{feature}_{route.endpoint.__name__}")
                if len(route.methods) > 1:
                    operation_id += f"_{method}"
            if operation_id in seen:
                raise ValueError(f"operationId {operation_id} of {method.upper()} {route.path_format} is also "
                                 f"{seen[operation_id]}'s: rename one of the functions")
            seen[operation_id] = f"{method.upper()} {route.path_format}"
            operation["operationId"] = operation_id
            _describe(route, operation)
            for tag in operation.get("tags", []):
                tags.setdefault(tag, _tag_description(tag, route.endpoint.__module__))
    for unused in ("HTTPValidationError", "ValidationError"):
        if not _mentions(doc["paths"], f"#/components/schemas/{unused}"):
            schemas.pop(unused, None)
    doc["tags"] = [{"name": name, "description": text} for name, text in sorted(tags.items())]
    return doc


def _tag_description(tag: str, module: str) -> str:
    if tag == DEVELOPMENT_TAG:
        return "Development and tests only: not routed in production, never forwarded by the gateway."
    parts = module.split(".")
    feature = ".".join(parts[:2]) if len(parts) > 2 else module
    return _docstring_of(feature) or _docstring_of(module) or tag


def _describe(route: Any, operation: dict[str, Any]) -> None:
    protected = is_protected(route)
    operation["security"] = [{"bearerAuth": []}] if protected else []
    if roles := roles_of(route):
        operation["x-roles"] = roles
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)  # FastAPI's HTTPValidationError is not what is answered
    download = _download(route)
    idempotent = _takes_idempotency_key(route)
    for code, response in responses.items():
        response.setdefault("headers", {})["X-Correlation-ID"] = _ref("X-Correlation-ID")
        if not code.startswith("2"):
            continue
        if idempotent:
            response["headers"]["Idempotent-Replayed"] = _ref("Idempotent-Replayed")
        if download is not None and code != "204":
            media, headers = download
            response["content"] = {media: {"schema": {"type": "string", "format": "binary"}}}
            for name in sorted(headers):
                response["headers"][name] = {"schema": {"type": "string"}}
    derived = route_problems(route)
    for code in [c for c in responses if c[:1] in "45"]:  # declared by hand (``responses=``): a problem too
        derived.setdefault(int(code), set())
    for status, slugs in sorted(derived.items()):
        answer = _problem_response(status, slugs, protected and status == 403, roles_of(route))
        if by_hand := responses.get(str(status), {}).get("description"):
            answer["description"] = f"{by_hand}; {answer['description']}"
        responses[str(status)] = answer


def _problem_response(status: int, slugs: Iterable[str], roles_apply: bool, roles: list[str]) -> dict[str, Any]:
    types = ", ".join(f"`/problems/{slug}`" for slug in sorted(slugs))
    description = problems._TITLES.get(status, "Error") + (f" (problem types: {types})" if types else "")
    if roles_apply and roles:
        description += f"; requires one of the roles: {', '.join(roles)}"
    headers: dict[str, Any] = {"X-Correlation-ID": _ref("X-Correlation-ID"), "Content-Language": _ref("Content-Language")}
    if status in (429, 503):
        headers["Retry-After"] = _ref("Retry-After")
    if status == 401:
        headers["WWW-Authenticate"] = _ref("WWW-Authenticate")
    schema = VALIDATION_PROBLEM if status == 422 else PROBLEM
    response: dict[str, Any] = {"description": description, "headers": headers,
                                "content": {problems.MEDIA_TYPE: {"schema": schema}}}
    if slugs:
        response["x-problem-types"] = [f"/problems/{slug}" for slug in sorted(slugs)]
    return response


def _mentions(value: Any, ref: str) -> bool:
    if isinstance(value, dict):
        return any(_mentions(v, ref) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, ref) for v in value)
    return value == ref


# -- the gateway's merge ------------------------------------------------------------------------------------
#: What the gateway itself may answer on a forwarded route (gateway.routing)
GATEWAY_PROBLEMS = {502: {"bad-gateway"}, 503: {"service-unavailable"}, 504: {"service-timeout"}}


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]", name) if part)


def _rename_refs(value: Any, renames: Mapping[str, str]) -> Any:
    """``value`` with every reference renamed (``$ref``s, and a discriminator's mapping)."""
    if isinstance(value, dict):
        return {k: _rename_refs(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename_refs(v, renames) for v in value]
    return renames.get(value, value) if isinstance(value, str) else value


def merge(gateway: dict[str, Any], services: Mapping[str, dict[str, Any]], *, servers: list[dict[str, str]],
          description: str = "") -> dict[str, Any]:
    """One document: the gateway's own paths as they are, each service's under ``/api/<service>`` (its
    development routes left out: the gateway never forwards them). A service's schemas are prefixed with its
    name (``BookingSlotOut``), kit's keep theirs; tags become ``<service> <tag>``."""
    merged: dict[str, Any] = {
        "openapi": gateway.get("openapi", "3.1.0"),
        "info": {"title": "Care platform API", "version": "v1", "description": description},
        "servers": servers,
        "paths": {},
        "components": {"schemas": dict(KIT_SCHEMAS), "headers": HEADERS, "securitySchemes": SECURITY_SCHEME},
        "tags": [],
    }
    parts = [("gateway", gateway, "")] + [(name, doc, f"/api/{name}") for name, doc in sorted(services.items())]
    for name, doc, prefix in parts:
        schemas = doc.get("components", {}).get("schemas", {})
        own = {key: f"{_pascal(name)}{key}" for key in schemas if key not in KIT_SCHEMAS}
        renames = {f"#/components/schemas/{old}": f"#/components/schemas/{new}" for old, new in own.items()}
        for key, new in own.items():
            merged["components"]["schemas"][new] = _rename_refs(schemas[key], renames)
        tag = (lambda t: t) if not prefix else (lambda t, n=name: f"{n} {t}")
        for path, item in doc.get("paths", {}).items():
            operations = {m: op for m, op in item.items() if m in METHODS and DEVELOPMENT_TAG not in op.get("tags", [])}
            if not operations:
                continue
            renamed = _rename_refs(operations, renames)
            for operation in renamed.values():
                operation["tags"] = [tag(t) for t in operation.get("tags", [])]
                if prefix:
                    for status, slugs in GATEWAY_PROBLEMS.items():
                        operation["responses"].setdefault(str(status), _problem_response(status, slugs, False, []))
            merged["paths"][f"{prefix}{path}"] = renamed
        merged["tags"] += [{**t, "name": tag(t["name"])} for t in doc.get("tags", []) if t["name"] != DEVELOPMENT_TAG]
    return merged
