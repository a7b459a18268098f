"""Is a new JSON schema of an event compatible with the published one?

Compatible (same major version): adding an optional field, changing descriptions, titles or examples.
Breaking (needs a new ``v2`` module published beside ``v1``): removing a field, changing a field's type
or format, adding a required field, narrowing a set of allowed values.
"""

from __future__ import annotations

from typing import Any

_DOCUMENTATION = {"description", "title", "examples", "default"}


def _shape(schema: Any) -> Any:
    """A field's schema without its documentation, for comparing types."""
    if isinstance(schema, dict):
        return {k: _shape(v) for k, v in schema.items() if k not in _DOCUMENTATION}
    if isinstance(schema, list):
        return [_shape(v) for v in schema]
    return schema


def breaking_changes(old: dict[str, Any], new: dict[str, Any], where: str = "") -> list[str]:
    problems: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_field in old_props.items():
        if name not in new_props:
            problems.append(f"{where}{name}: removed")
        elif "enum" in old_field and "enum" in new_props[name]:
            if missing := set(old_field["enum"]) - set(new_props[name]["enum"]):
                problems.append(f"{where}{name}: values {sorted(missing)} no longer allowed")
        elif _shape(old_field) != _shape(new_props[name]):
            problems.append(f"{where}{name}: type changed")
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        problems.append(f"{where}{name}: " + ("became required" if name in old_props else "added as required"))
    for name, old_def in old.get("$defs", {}).items():
        if name in new.get("$defs", {}):
            problems += breaking_changes(old_def, new["$defs"][name], f"{where}{name}.")
    return problems
