"""The message templates (templates/<language>.yaml), rendered with Jinja2.

Undefined variables are errors (StrictUndefined), so a template never sends "Hello ," to anyone; a
language without a template falls back to English.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined

LANGUAGES = ("sv", "nb", "nl", "en")
FALLBACK = "en"
DIRECTORY = Path(__file__).resolve().parents[1] / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str


@cache
def _environment() -> Environment:
    return Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False, trim_blocks=False)


@cache
def catalogue() -> dict[str, dict[str, dict[str, str]]]:
    """language → message name → {"subject", "body"}."""
    return {lang: yaml.safe_load((DIRECTORY / f"{lang}.yaml").read_text(encoding="utf-8")) for lang in LANGUAGES}


def names() -> list[str]:
    return sorted(catalogue()[FALLBACK])


def render(name: str, language: str, context: dict[str, Any]) -> Rendered:
    templates = catalogue().get(language if language in LANGUAGES else FALLBACK, {})
    template = templates.get(name) or catalogue()[FALLBACK][name]
    env = _environment()
    subject = env.from_string(template["subject"]).render(context).strip() if "subject" in template else None
    body = env.from_string(template["body"]).render(context).strip() + "\n"
    return Rendered(subject, "\n".join(line.rstrip() for line in body.splitlines()) + "\n")
