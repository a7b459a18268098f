"""Which problems a route can answer, derived from its code (issue #22), for the OpenAPI document.

A route's problems are found by reading its code, not typed by hand: the route function, its dependencies
and every function they call that lives in the route's own package or in kit are parsed once, and each
``Problem(409, "slot-taken", ...)``, kit.problems helper (``not_found``, ``conflict("slug", …)``, ``forbidden``,
``invalid``, ``unauthorized``), ``Problem`` subclass (``OutsideSystemError(SYSTEM, …)`` →
``<system>-unavailable``) or helper returning one (``throttle.too_many``) they call is a problem the route may
answer. Calls are followed through module globals (``service.reserve(...)``, ``throttle.guard(...)``), through
parameters and locals annotated with a class (``access: Access`` → ``access.clinic``, a property too;
``bankid: BankId = request.app.state.bankid``) and through ``self``. What the reading cannot see is declared
with :func:`declares`: on a use case (every route calling it shows it), or on an adapter's Protocol class (every
call of its methods may answer it: the outside system's 503, its refusals):

    @declares(503, "payment-provider-unavailable")
    class PaymentProvider(Protocol): ...

The reading errs on the side of declaring: a problem a function could raise is declared even where a
caller catches it.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
import types
import typing
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


def declares(status: int, slug: str | None = None) -> Callable[[Any], Any]:
    """Declare a problem a use case (or route) answers that reading its code does not find. Stackable. On a
    class (an adapter's Protocol), every call of its methods may answer it."""

    def mark(target: Any) -> Any:
        target.__declared_problems__ = {*target.__dict__.get("__declared_problems__", ()), (status, slug)}
        return target

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
        scope = {**fn.__globals__, **_closure(fn), **_typed_locals(fn)}
        for node in ast.walk(tree):  # ``bankid: BankId = request.app.state.bankid``: the local is a BankId
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if isinstance(kind := _resolve(node.annotation, scope), type):
                    scope[node.target.id] = kind
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                found |= self._call(node, scope, depth)
            elif isinstance(node, ast.Attribute) and isinstance(prop := _resolve(node, scope), property):
                found |= self.problems_of(prop.fget, depth + 1)  # ``access.clinic``: a property's code runs
        self.memo[fn] = frozenset(found)
        return self.memo[fn]

    def _call(self, node: ast.Call, scope: dict[str, Any], depth: int) -> set[Kind]:
        target = _resolve(node.func, scope)
        if target is None:
            return set()
        owner = _resolve(node.func.value, scope) if isinstance(node.func, ast.Attribute) else None
        declared = set(owner.__dict__.get("__declared_problems__", ())) if isinstance(owner, type) else set()
        if target is problems.Problem:
            status, slug = (_literal(node.args[0]) if node.args else None), (
                _literal(node.args[1]) if len(node.args) > 1 else None)
            return {(status, slug if isinstance(slug, str) else None)} if isinstance(status, int) else set()
        if isinstance(target, type) and issubclass(target, problems.Problem):
            return declared | _subclass(target, node, scope)
        if target is problems.conflict:
            slug = _literal(node.args[0]) if node.args else None
            return {(409, slug if isinstance(slug, str) else None)}
        if getattr(target, "__module__", None) == problems.__name__ and target.__name__ in _FIXED:
            return {_FIXED[target.__name__]}
        return declared | set(self.problems_of(target, depth + 1))


def _subclass(cls: type, call: ast.Call, scope: dict[str, Any]) -> set[Kind]:
    """``OutsideSystemError(SYSTEM, …)``: the status and slug its ``__init__`` hands to ``Problem``, the slug's
    f-string filled with the call's arguments where they are constants (``payment-provider-unavailable``)."""
    init = cls.__dict__.get("__init__")
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(init)))
    except (OSError, TypeError, SyntaxError):
        return set()
    names = [a.arg for a in tree.body[0].args.args][1:]  # type: ignore[attr-defined]
    values: dict[str, Any] = {}
    for name, arg in zip(names, call.args, strict=False):
        value = _literal(arg) if isinstance(arg, ast.Constant) else _resolve(arg, scope)
        if isinstance(value, str):
            values[name] = value
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "__init__"
                and len(node.args) > 1 and isinstance(status := _literal(node.args[0]), int)):
            return {(status, _fill(node.args[1], values))}
    return set()


def _fill(node: ast.AST, values: dict[str, str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                parts.append(str(part.value))
            elif isinstance(part, ast.FormattedValue) and isinstance(part.value, ast.Name) and part.value.id in values:
                parts.append(values[part.value.id])
            else:
                return None
        return "".join(parts)
    return None


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


def _typed_locals(fn: Any) -> dict[str, Any]:
    """The parameters whose annotation is a class (``access: Access``, ``Annotated[Access, Depends(…)]``), and
    ``self`` in a method: so ``access.clinic`` and ``self.order(…)`` are followed into the class's code."""
    found: dict[str, Any] = {}
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - an annotation that cannot be evaluated here: read without it
        hints = {}
    for name, hint in hints.items():
        if name != "return" and isinstance(hint, type) and hint.__module__.split(".")[0] != "builtins":
            found[name] = hint
    owner = fn.__qualname__.rsplit(".", 1)[0] if "." in fn.__qualname__ else ""
    if owner and "<locals>" not in owner and isinstance(cls := fn.__globals__.get(owner), type):
        found.setdefault("self", cls)
    return found


def _resolve(node: ast.AST, scope: dict[str, Any]) -> Any:
    """``name`` or ``module.name`` (or ``module.Class.name``) as the function object it names, else None."""
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, scope)
        if isinstance(owner, type):
            found = inspect.getattr_static(owner, node.attr, None)
            return found.__func__ if isinstance(found, (staticmethod, classmethod)) else found
        if isinstance(owner, types.ModuleType):
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
