"""Which problems a route can answer, derived from its code (issue #22), for the OpenAPI document.

A route's problems are found by reading its code, not typed by hand: the route function, its dependencies
and every function they call that lives in the route's own package or in kit (followed through module
globals: ``service.reserve(...)``, ``throttle.guard(...)``, ``authorised(...)``) are parsed once, and each
``Problem(409, "slot-taken", ...)`` or kit.problems helper they call (``not_found``, ``conflict("slug", …)``,
``forbidden``, ``invalid``, ``unauthorized``, ``throttle.too_many``, ``http.too_large``) is one problem the
route may answer. What the reading cannot see (a method of an adapter behind ``app.state``, a problem
built from a variable) is declared on the use case with :func:`declares`, and shows on every route that
calls it:

    @declares(409, "already-captured")
    async def pay(session, principal, payment_id): ...

The reading errs on the side of declaring: a problem a function could raise is declared even where a
caller catches it.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
from collections.abc import Callable, Iterable
from typing import Any

from kit import problems

#: (status, slug); slug is None when only the status is known
Kind = tuple[int, str | None]

_FIXED: dict[str, Kind] = {
    "not_found": (404, "not-found"),
    "forbidden": (403, "forbidden"),
    "unauthorized": (401, "unauthorized"),
    "invalid": (422, "validation-error"),
}
_DEPTH = 12


def declares(status: int, slug: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a problem a use case (or route) answers that reading its code does not find. Stackable."""

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        fn.__dict__.setdefault("__declared_problems__", set()).add((status, slug))
        return fn

    return mark


def _literal(node: ast.AST | None) -> Any:
    return node.value if isinstance(node, ast.Constant) else None


class _Reader:
    """Reads functions once each; ``packages`` are the top-level packages whose code is followed."""

    def __init__(self, packages: Iterable[str]) -> None:
        self.packages = set(packages) | {"kit"}
        self.memo: dict[Any, frozenset[Kind]] = {}

    def follows(self, fn: Any) -> bool:
        module = getattr(fn, "__module__", None) or ""
        return isinstance(fn, types.FunctionType) and module.split(".")[0] in self.packages

    def problems_of(self, fn: Any, depth: int = 0) -> frozenset[Kind]:
        fn = inspect.unwrap(fn) if callable(fn) else fn
        if fn in self.memo:
            return self.memo[fn]
        declared = set(getattr(fn, "__declared_problems__", ()))
        if not self.follows(fn) or depth > _DEPTH:
            return frozenset(declared)
        self.memo[fn] = frozenset(declared)  # a cycle ends here
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
        except (OSError, TypeError, SyntaxError):
            return self.memo[fn]
        found = set(declared)
        scope = {**fn.__globals__, **_closure(fn)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                found |= self._call(node, scope, depth)
        self.memo[fn] = frozenset(found)
        return self.memo[fn]

    def _call(self, node: ast.Call, scope: dict[str, Any], depth: int) -> set[Kind]:
        target = _resolve(node.func, scope)
        if target is None:
            return set()
        if target is problems.Problem:
            status, slug = (_literal(node.args[0]) if node.args else None), (
                _literal(node.args[1]) if len(node.args) > 1 else None)
            return {(status, slug if isinstance(slug, str) else None)} if isinstance(status, int) else set()
        if target is problems.conflict:
            slug = _literal(node.args[0]) if node.args else None
            return {(409, slug if isinstance(slug, str) else None)}
        if getattr(target, "__module__", None) == problems.__name__ and target.__name__ in _FIXED:
            return {_FIXED[target.__name__]}
        return set(self.problems_of(target, depth + 1))


def _closure(fn: Any) -> dict[str, Any]:
    names = fn.__code__.co_freevars
    cells = fn.__closure__ or ()
    out = {}
    for name, cell in zip(names, cells, strict=False):
        try:
            out[name] = cell.cell_contents
        except ValueError:
            continue
    return out


def _resolve(node: ast.AST, scope: dict[str, Any]) -> Any:
    """``name`` or ``module.name`` (or ``module.Class.name``) as the function object it names, else None."""
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, scope)
        if isinstance(owner, (types.ModuleType, type)):
            return getattr(owner, node.attr, None)
    return None


_READERS: dict[frozenset[str], _Reader] = {}


def problems_of(calls: Iterable[Callable[..., Any]], packages: Iterable[str]) -> set[Kind]:
    """Every problem ``calls`` (a route's endpoint and its dependencies) can answer."""
    reader = _READERS.setdefault(frozenset(packages), _Reader(packages))
    found: set[Kind] = set()
    for call in calls:
        found |= reader.problems_of(call)
    return found
