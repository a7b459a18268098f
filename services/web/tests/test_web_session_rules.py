"""The signed-in app's pure rules: the session cookie (signed, tamper-proof), when the access token is
refreshed, one refresh per refresh token however many requests bring it, the 24-hour rule as the client sees
it, where a sign-in may send the person, money and times in each language, the language's precedence."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from web import i18n, rules
from web import session as sessions

SECRET = "a-test-secret-for-the-session-cookie"
TOKENS = {"access_token": "a" * 40, "refresh_token": "r" * 43, "expires_in": 600, "scope": "full"}


def test_the_session_cookie_round_trips_and_a_changed_one_is_no_session():
    made = sessions.Session.of(TOKENS, now=1000.0)
    made = sessions.Session(**{**made.__dict__, "name": "Demo Cliënt", "language": "nl", "roles": ("representative",),
                               "acting_for": ("id-1", "Demo Cliënt Twee"), "represents": (("id-1", "Demo Cliënt Twee"),)})
    cookie = sessions.encode(SECRET, made)
    assert sessions.decode(SECRET, cookie) == made
    value, _, mac = cookie.rpartition(".")
    assert sessions.decode(SECRET, f"{value}x.{mac}") is None  # changed
    assert sessions.decode("another-secret", cookie) is None  # not ours
    assert sessions.decode(SECRET, None) is None and sessions.decode(SECRET, "garbage") is None


def test_the_access_token_is_refreshed_shortly_before_it_expires():
    made = sessions.Session.of(TOKENS, now=1000.0)
    assert made.expires_at == 1600.0 and not made.limited
    assert not made.due(now=1600.0 - sessions.MARGIN_S - 1)
    assert made.due(now=1600.0 - sessions.MARGIN_S) and made.due(now=2000.0)
    assert sessions.Session.of({**TOKENS, "scope": "limited"}).limited


async def test_a_refresh_token_is_refreshed_once_for_every_request_that_brings_it():
    calls = []

    async def call():
        calls.append(1)
        await asyncio.sleep(0.01)
        return {"access_token": "new"}

    refresher = sessions.Refresher()
    answers = await asyncio.gather(*(refresher.refresh("same-token", call) for _ in range(5)))
    other = await refresher.refresh("other-token", call)
    assert answers == [{"access_token": "new"}] * 5 and other == {"access_token": "new"}
    assert len(calls) == 2  # once per refresh token: a second use would end the session at the gateway


def test_the_24_hour_rule_as_the_client_sees_it_before_cancelling():
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    assert rules.full_refund_if_cancelled(now + timedelta(hours=24, minutes=1), now)
    assert not rules.full_refund_if_cancelled(now + timedelta(hours=24), now)
    assert not rules.full_refund_if_cancelled((now + timedelta(hours=3)).isoformat(), now)
    assert rules.free_cancellation_until("2026-12-10T09:00:00Z") == datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    assert rules.cancellable({"status": "confirmed", "starts_at": future})
    assert not rules.cancellable({"status": "cancelled", "starts_at": future})
    assert not rules.cancellable({"status": "confirmed", "starts_at": "2020-01-01T00:00:00Z"})


@pytest.mark.parametrize(("asked", "goes"), [
    ("/marketplace/bookings?lang=sv", "/marketplace/bookings?lang=sv"),
    (None, "/start"), ("", "/start"), ("https://evil.example/", "/start"), ("//evil.example", "/start"),
    ("/\\evil.example", "/start"), ("/x\r\nSet-Cookie: a=b", "/start"),
])
def test_a_sign_in_sends_the_person_back_only_within_the_web_app(asked, goes):
    assert rules.safe_next(asked) == goes


def test_money_and_times_in_each_language():
    assert rules.Formatter("sv").money(95000, "SEK") == "950,00 SEK"
    assert rules.Formatter("en").money(1234567, "SEK") == "12,345.67 SEK"
    assert rules.Formatter("nl").money(None) == "–"
    instant = "2026-12-07T09:00:00Z"  # a Monday, 10:00 in Stockholm
    assert rules.Formatter("sv").when(instant) == "mån 7 dec 2026 10:00"
    assert rules.Formatter("en").when(instant) == "Mon 7 Dec 2026, 10:00"
    assert rules.Formatter("nb", "Europe/Oslo").when(instant) == "man 7 des 2026 10:00"


def test_the_remembered_choice_or_the_accounts_language_comes_before_the_browsers():
    assert i18n.choose(None, "en-GB,en;q=0.9", "sv", preferred="nl") == "nl"
    assert i18n.choose("en", None, "sv", preferred="nl") == "en"  # ?lang= still wins
    assert i18n.choose(None, "en-GB", "sv", preferred="xx") == "en"
