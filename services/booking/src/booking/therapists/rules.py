"""Pure therapist rules: the weight cap (BK-6), bank account formats, the presentation's length,
the matching score (BK-8)."""

from __future__ import annotations

import re
from dataclasses import dataclass

WEIGHT_CAP = 80
PRESENTATION_MAX = 400  # "1–2 sentences"


class RuleError(ValueError):
    def __init__(self, message: str, **extra: object) -> None:
        super().__init__(message)
        self.extra = extra


def check_weights(weights: dict[str, int], known: set[str]) -> None:
    unknown = sorted(set(weights) - known)
    if unknown:
        raise RuleError(f"unknown problem areas: {', '.join(unknown)}", unknown=unknown)
    out_of_range = sorted(code for code, weight in weights.items() if not 0 <= weight <= 10)
    if out_of_range:
        raise RuleError(f"weights are between 0 and 10 ({', '.join(out_of_range)})", areas=out_of_range)
    total = sum(weights.values())
    if total > WEIGHT_CAP:
        raise RuleError(f"the weights add up to {total}; at most {WEIGHT_CAP} is allowed", sum=total, limit=WEIGHT_CAP)


def bank_account(value: str) -> str:
    """A Swedish account (4–5 digit clearing number, 7–10 digit account) or an IBAN (mod 97)."""
    text = re.sub(r"[\s-]", "", value.upper())
    if text[:2].isalpha():
        if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", text):
            raise RuleError("an IBAN starts with a country code and two check digits, e.g. SE45 5000 0000 0583 9825 7466")
        rearranged = text[4:] + text[:4]
        if int("".join(str(int(c, 36)) for c in rearranged)) % 97 != 1:
            raise RuleError("the IBAN's check digits are wrong")
        return text
    if not re.fullmatch(r"\d{11,15}", text):
        raise RuleError("a Swedish bank account is a clearing number (4–5 digits) and an account number (7–10 digits)")
    return text


def check_presentation(text: str | None) -> None:
    if text and len(text) > PRESENTATION_MAX:
        raise RuleError(f"the short presentation is one or two sentences: at most {PRESENTATION_MAX} characters")


@dataclass(frozen=True)
class Contribution:
    area: str
    client_score: int
    therapist_weight: int
    points: int


def match_score(client_scores: dict[str, int], weights: dict[str, int]) -> tuple[int, list[Contribution]]:
    """How well a therapist fits: the sum over areas of the client's score × the therapist's weight; each
    area's share is shown so the client (and the therapist) can see why."""
    parts = [Contribution(area, score, weights.get(area, 0), score * weights.get(area, 0))
             for area, score in sorted(client_scores.items()) if score]
    parts.sort(key=lambda c: -c.points)
    return sum(c.points for c in parts), parts
