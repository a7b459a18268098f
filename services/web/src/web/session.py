"""The signed-in person's session: the gateway's tokens in a signed, HttpOnly, SameSite=Lax cookie.

The web app keeps nothing of its own: the cookie holds the access and refresh tokens the gateway issued, when
the access token expires, its scope (``limited`` until the first-login password change and the terms are
done) and what the pages show of the person (name, language, roles, whom a representative acts for). The
signature (security.sign) means a changed cookie is no cookie at all; the tokens themselves are checked by
the gateway and the services on every call, never by the web app.

The access token is refreshed through the gateway's refresh route shortly before it expires (``due``). A
refresh token works once (the gateway ends the session when one is used twice), and a page and its htmx
requests may arrive together with the same cookie: :class:`Refresher` refreshes one refresh token once and
hands the same new tokens to every request that brings it within a minute."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from web import security

COOKIE = "web_session"
#: refresh this many seconds before the access token expires
MARGIN_S = 30


@dataclass(frozen=True)
class Session:
    access_token: str
    refresh_token: str
    #: when the access token expires (Unix seconds)
    expires_at: float
    scope: str = "full"
    name: str = ""
    language: str = ""
    roles: tuple[str, ...] = ()
    #: a representative's chosen client: (id, name)
    acting_for: tuple[str, str] | None = None
    #: a representative's clients to choose among: ((id, name), ...)
    represents: tuple[tuple[str, str], ...] = field(default=())

    @classmethod
    def of(cls, tokens: dict[str, Any], *, now: float | None = None, keep: Session | None = None) -> Session:
        """A session from the gateway's token answer (keeping what ``keep`` knew of the person)."""
        issued = now if now is not None else time.time()
        fresh = {"access_token": str(tokens["access_token"]), "refresh_token": str(tokens["refresh_token"]),
                 "expires_at": issued + float(tokens.get("expires_in", 0)), "scope": str(tokens.get("scope", "full"))}
        return replace(keep, **fresh) if keep else cls(**fresh)

    @property
    def limited(self) -> bool:
        return self.scope != "full"

    def due(self, now: float | None = None) -> bool:
        """Whether the access token expires within the margin (or has expired): refresh before calling."""
        return (now if now is not None else time.time()) >= self.expires_at - MARGIN_S


def encode(secret: str, session: Session) -> str:
    data = asdict(session)
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return security.sign(secret, COOKIE, base64.urlsafe_b64encode(raw).decode().rstrip("="))


def decode(secret: str, cookie: str | None) -> Session | None:
    """The cookie's session, or None when it is missing, changed or not ours."""
    value = security.unsign(secret, COOKIE, cookie)
    if value is None:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
        data["roles"] = tuple(data.get("roles") or ())
        data["acting_for"] = tuple(data["acting_for"]) if data.get("acting_for") else None
        data["represents"] = tuple(tuple(pair) for pair in data.get("represents") or ())
        return Session(**data)
    except (ValueError, TypeError, KeyError):
        return None


class Refresher:
    """One refresh per refresh token, shared by the requests that bring it at the same time."""

    KEEP_S = 60.0

    def __init__(self) -> None:
        self.locks: dict[str, asyncio.Lock] = {}
        self.done: dict[str, tuple[float, dict[str, Any] | None]] = {}

    async def refresh(self, refresh_token: str, call: Any) -> dict[str, Any] | None:
        """The new tokens for ``refresh_token`` (``await call()`` asks the gateway, once), or None when the
        gateway refused it (the session has ended)."""
        key = hashlib.sha256(refresh_token.encode()).hexdigest()
        now = time.monotonic()
        for old in [k for k, (at, _) in self.done.items() if now - at > self.KEEP_S]:
            self.done.pop(old, None)
            self.locks.pop(old, None)
        lock = self.locks.setdefault(key, asyncio.Lock())
        async with lock:
            if key in self.done:
                return self.done[key][1]
            tokens = await call()
            self.done[key] = (time.monotonic(), tokens)
            return tokens
