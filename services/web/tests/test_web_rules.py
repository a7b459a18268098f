"""The web app's pure parts: the language choice, signed cookies and CSRF tokens, every text in every
language, and the production refusal of a development cookie secret."""

from __future__ import annotations

import pytest

from web import i18n, security
from web.settings import Settings


@pytest.mark.parametrize(("query", "header", "chosen"), [
    ("nl", "sv-SE,sv;q=0.9", "nl"),  # ?lang wins
    (None, "nb-NO,nb;q=0.9,en;q=0.5", "nb"),
    (None, "no", "nb"),  # Norwegian as "no"
    (None, "de-DE,en;q=0.3,nl;q=0.8", "nl"),  # by weight, not order; unknown languages skipped
    (None, "fr, de", "sv"),  # none of ours: the default
    ("xx", None, "sv"),
    (None, "en;q=0, nl;q=oops", "sv"),  # q=0 means "not this"; a broken weight counts as 0
])
def test_the_language_is_chosen_by_lang_then_accept_language(query, header, chosen):
    assert i18n.choose(query, header, "sv") == chosen


def test_every_text_exists_in_every_language():
    for key, texts in i18n.TEXTS.items():
        assert set(texts) == set(i18n.LANGUAGES), key
        assert all(value.strip() for value in texts.values()), key


def test_a_signed_cookie_cannot_be_forged_or_moved_to_another_name():
    signed = security.sign("secret", "web_csrf", "abc")
    assert security.unsign("secret", "web_csrf", signed) == "abc"
    assert security.unsign("other", "web_csrf", signed) is None
    assert security.unsign("secret", "web_session", signed) is None
    assert security.unsign("secret", "web_csrf", "abc.0000") is None
    assert security.unsign("secret", "web_csrf", None) is None


def test_the_csrf_token_matches_only_its_own_cookie():
    cookie = security.sign("secret", security.CSRF_COOKIE, "nonce-1")
    token = security.csrf_token("secret", "nonce-1")
    assert security.csrf_ok("secret", cookie, token)
    assert not security.csrf_ok("secret", cookie, security.csrf_token("secret", "nonce-2"))
    assert not security.csrf_ok("secret", None, token)
    assert not security.csrf_ok("secret", cookie, None)


def test_production_refuses_the_development_cookie_secret_and_sends_secure_cookies():
    production = Settings(environment="production")
    assert any("WEB_COOKIE_SECRET" in line for line in production.problems())
    assert production.secure_cookies
    assert Settings(environment="production", cookie_secret="a-long-random-secret-from-the-vault").problems() == []
    assert not Settings(environment="development").secure_cookies


def test_a_production_start_with_the_development_cookie_secret_exits_naming_it():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("WEB_")} | {"WEB_ENVIRONMENT": "production"}
    result = subprocess.run([sys.executable, "-m", "web"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == "web refuses to start in production:"
    assert "WEB_COOKIE_SECRET" in result.stderr
