"""iCalendar (RFC 5545) text for the therapist's feed: one VEVENT per confirmed booking, in UTC.
No client names or details: the feed URL is a secret, but a calendar app may show it to others."""

from __future__ import annotations

from datetime import UTC, datetime

from booking.bookings.models import Booking


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """Lines longer than 75 octets are folded (RFC 5545 §3.1)."""
    out, raw = [], line.encode()
    while len(raw) > 75:
        cut = 75 if not out else 74
        while (raw[cut] & 0xC0) == 0x80:  # never split a UTF-8 character
            cut -= 1
        out.append(raw[:cut].decode())
        raw = raw[cut:]
    out.append(raw.decode())
    return "\r\n ".join(out)


def calendar(bookings: list[Booking], *, name: str = "Care platform sessions") -> str:
    now = _stamp(datetime.now(UTC))
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Care platform//Booking//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", f"X-WR-CALNAME:{name}"]
    for booking in bookings:
        form = "video" if booking.video and not booking.on_site else "on site" if booking.on_site and not booking.video else "video or on site"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{booking.id}@care-platform",
            f"DTSTAMP:{now}",
            f"DTSTART:{_stamp(booking.starts_at)}",
            f"DTEND:{_stamp(booking.ends_at)}",
            f"SUMMARY:Session ({form})",
            "STATUS:CONFIRMED",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
