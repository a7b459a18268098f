"""The web app's pure rules: the 24-hour cancellation rule as the client sees it before cancelling (BK-17),
money and times in the person's language, and where a sign-in may send the person back to."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

#: BK-17: a client who cancels more than this before the start gets the fee back; later, the fee is kept
FREE_CANCELLATION = timedelta(hours=24)

WEEKDAYS = {
    "sv": ("mån", "tis", "ons", "tors", "fre", "lör", "sön"),
    "nb": ("man", "tir", "ons", "tor", "fre", "lør", "søn"),
    "nl": ("ma", "di", "wo", "do", "vr", "za", "zo"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
MONTHS = {
    "sv": ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "nb": ("jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des"),
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def parse_instant(value: str | datetime) -> datetime:
    found = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def full_refund_if_cancelled(starts_at: str | datetime, now: datetime | None = None) -> bool:
    """BK-17: cancelling now gives the fee back (more than 24 hours before the start)."""
    return parse_instant(starts_at) - (now or datetime.now(UTC)) > FREE_CANCELLATION


def free_cancellation_until(starts_at: str | datetime) -> datetime:
    """The last moment a cancellation still gives the fee back."""
    return parse_instant(starts_at) - FREE_CANCELLATION


def cancellable(booking: dict) -> bool:
    """A booking the client can still cancel: reserved or confirmed, and not started."""
    return booking.get("status") in ("pending_payment", "confirmed") and \
        parse_instant(booking["starts_at"]) > datetime.now(UTC)


def safe_next(raw: str | None) -> str:
    """Where to go after signing in: a path of this web app only (never another site: ``//x``, ``/\\x``)."""
    if not raw or not raw.startswith("/") or raw.startswith(("//", "/\\")) or any(c in raw for c in "\r\n"):
        return "/start"
    return raw


class Formatter:
    """Money and times for templates, in one language and the platform's time zone."""

    def __init__(self, language: str, time_zone: str = "Europe/Stockholm") -> None:
        self.language = language
        self.zone = ZoneInfo(time_zone)

    def money(self, minor: int | None, currency: str = "SEK") -> str:
        if minor is None:
            return "–"
        whole, cents = divmod(abs(int(minor)), 100)
        separator = "." if self.language == "en" else ","
        grouped = f"{whole:,}".replace(",", " " if self.language != "en" else ",")
        sign = "-" if int(minor) < 0 else ""
        return f"{sign}{grouped}{separator}{cents:02d} {currency}"

    def when(self, value: str | datetime | None) -> str:
        if not value:
            return "–"
        local = parse_instant(value).astimezone(self.zone)
        day = WEEKDAYS[self.language][local.weekday()]
        month = MONTHS[self.language][local.month - 1]
        if self.language == "en":
            return f"{day} {local.day} {month} {local.year}, {local:%H:%M}"
        return f"{day} {local.day} {month} {local.year} {local:%H:%M}"

    def iso(self, value: str | datetime) -> str:
        return parse_instant(value).isoformat()
