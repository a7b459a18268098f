"""The platform's four languages (sv, nb, nl, en) and the choice among them from an ``Accept-Language`` header
(by its weights; Norwegian comes as nb, no or nn). Used by the problem texts (kit.problems) and the web app."""

from __future__ import annotations

LANGUAGES = ("sv", "nb", "nl", "en")
DEFAULT = "en"
#: Accept-Language tags that mean one of ours
ALIASES = {"no": "nb", "nn": "nb"}


def choose(accept_language: str | None, default: str = DEFAULT) -> str:
    """The most wanted of our languages in ``accept_language``; ``default`` when it names none."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        primary = tag.split("-")[0].strip().lower()
        primary = ALIASES.get(primary, primary)
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if primary in LANGUAGES and weight > 0:
            weighted.append((-weight, index, primary))
    return sorted(weighted)[0][2] if weighted else default
