"""Every contract's JSON schema is snapshotted; a breaking change cannot slip through.

After a compatible change (an optional field added), regenerate the snapshots:
    UPDATE_SNAPSHOTS=1 uv run pytest libs/contracts
A breaking change fails even then: publish a new v2 module beside v1 instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel

from contracts import catalogue
from contracts.compat import breaking_changes
from contracts.envelope import Event

SNAPSHOTS = Path(__file__).parent / "schemas"
UPDATE = os.environ.get("UPDATE_SNAPSHOTS") == "1"


def catalogue_events() -> list[type[Event]]:
    return sorted(
        (cls for module in catalogue.MODULES for cls in vars(module).values()
         if isinstance(cls, type) and issubclass(cls, Event) and cls is not Event and cls.__module__ == module.__name__),
        key=lambda cls: cls.type_name(),
    )


@pytest.mark.parametrize("event", catalogue_events(), ids=lambda cls: cls.type_name())
def test_schema_matches_its_snapshot(event):
    schema = event.model_json_schema()
    path = SNAPSHOTS / f"{event.type_name()}.json"
    if path.exists():
        published = json.loads(path.read_text())
        broken = breaking_changes(published, schema)
        assert not broken, f"{event.type_name()} changed incompatibly: {broken}. Publish a v2 module beside v1."
        if published == schema:
            return
    if UPDATE:
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        return
    pytest.fail(f"{path.name} is {'stale' if path.exists() else 'missing'}: the change is compatible; "
                "regenerate with UPDATE_SNAPSHOTS=1 uv run pytest libs/contracts")


def test_every_snapshot_belongs_to_an_event():
    names = {f"{cls.type_name()}.json" for cls in catalogue_events()}
    orphans = sorted(p.name for p in SNAPSHOTS.glob("*.json") if p.name not in names)
    assert not orphans, f"snapshots of events that no longer exist (a removed event is a breaking change): {orphans}"


# -- the checker itself --------------------------------------------------------------------------------------
class V1(BaseModel):
    id: int
    name: str
    kind: Literal["a", "b"]


def schema_of(**fields) -> dict:
    from pydantic import create_model

    return create_model("V", **fields).model_json_schema()


def test_adding_an_optional_field_is_compatible():
    assert breaking_changes(V1.model_json_schema(), schema_of(id=(int, ...), name=(str, ...), kind=(Literal["a", "b"], ...),
                                                             note=(str | None, None))) == []


@pytest.mark.parametrize(("fields", "problem"), [
    ({"id": (int, ...), "kind": (Literal["a", "b"], ...)}, "name: removed"),
    ({"id": (str, ...), "name": (str, ...), "kind": (Literal["a", "b"], ...)}, "id: type changed"),
    ({"id": (int, ...), "name": (str, ...), "kind": (Literal["a", "b"], ...), "must": (int, ...)}, "must: added as required"),
    ({"id": (int, ...), "name": (str, ...), "kind": (Literal["a"], ...)}, "kind: "),
])
def test_breaking_changes_are_named(fields, problem):
    found = breaking_changes(V1.model_json_schema(), schema_of(**fields))
    assert any(problem in p for p in found), found
