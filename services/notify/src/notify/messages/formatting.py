"""How times, places and amounts read in messages (the same in every language: ISO-like and clear)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from contracts.money import Money


def when(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} ({local.tzname()})"


def minutes_between(start: datetime, end: datetime) -> int:
    return int((end - start).total_seconds() // 60)


def money(amount: Money) -> str:
    major, minor = divmod(amount.amount_minor, 100)
    return f"{major:,}".replace(",", " ") + f",{minor:02d} {amount.currency}"


_WORDS = {
    "en": ("video", "the therapist's reception", "or"),
    "sv": ("video", "terapeutens mottagning", "eller"),
    "nb": ("video", "terapeutens kontor", "eller"),
    "nl": ("video", "de praktijk van de therapeut", "of"),
}


def place(language: str, video: bool, on_site: bool, address: str | None) -> str:
    video_word, reception, either = _WORDS.get(language, _WORDS["en"])
    site = address or reception
    if video and on_site:
        return f"{video_word} {either} {site}"
    return video_word if video else site
