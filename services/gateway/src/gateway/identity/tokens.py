"""Access tokens (short-lived EdDSA JWTs every service verifies) and rotating refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.gateway.v1 import SessionEnded
from gateway.identity.keys import SigningKey
from gateway.identity.models import Account, RefreshToken
from gateway.settings import Settings
from kit import outbox
from kit.auth import ACCESS_TOKEN_TYPE


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    #: "full", or "limited" while the account must change its password or accept the terms
    scope: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def needs_more(account: Account, settings: Settings) -> bool:
    """Sign-in is not finished until a temporary password is changed and the terms are accepted."""
    return account.must_change_password or account.terms_version != settings.terms_version


def access_token(key: SigningKey, settings: Settings, account: Account, *, session_id: uuid.UUID,
                 acting_for: uuid.UUID | None, limited: bool) -> str:
    now = int(time.time())
    claims = {
        "sub": str(account.id), "roles": list(account.roles), "typ": ACCESS_TOKEN_TYPE, "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience, "iat": now, "exp": now + settings.access_token_ttl_s, "sid": str(session_id),
        "name": account.display_name,
    }
    if acting_for:
        claims["act"] = str(acting_for)
    if limited:
        claims["scp"] = "limited"
    return jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": key.kid})


async def issue(session: AsyncSession, key: SigningKey, settings: Settings, account: Account, *,
                family_id: uuid.UUID | None = None, acting_for: uuid.UUID | None = None) -> Tokens:
    limited = needs_more(account, settings)
    family = family_id or uuid.uuid4()
    refresh = secrets.token_urlsafe(32)
    session.add(RefreshToken(family_id=family, account_id=account.id, token_hash=hash_token(refresh),
                             acting_for=acting_for, limited=limited,
                             expires_at=datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl_s)))
    await session.flush()
    return Tokens(access_token(key, settings, account, session_id=family, acting_for=acting_for, limited=limited),
                  refresh, settings.access_token_ttl_s, "limited" if limited else "full")


async def end_sessions(session: AsyncSession, account_id: uuid.UUID, family_ids: list[uuid.UUID], reason: str) -> None:
    """End sessions at once: their refresh tokens are revoked, and ``SessionEnded`` (in the same transaction)
    makes every process of every service refuse their access tokens from now on (kit.sessions)."""
    if not family_ids:
        return
    now = datetime.now(UTC)
    await session.execute(update(RefreshToken).where(RefreshToken.family_id.in_(family_ids), RefreshToken.revoked_at.is_(None))
                          .values(revoked_at=now))
    await outbox.add(session, SessionEnded(session_ids=family_ids, account_id=account_id, reason=reason, ended_at=now))  # type: ignore[arg-type]


async def other_sessions(session: AsyncSession, account_id: uuid.UUID, keep: uuid.UUID | None) -> list[uuid.UUID]:
    """The account's sessions still open (a refresh token neither revoked nor expired), but ``keep``."""
    query = select(RefreshToken.family_id).distinct().where(
        RefreshToken.account_id == account_id, RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > datetime.now(UTC))
    return [family for family in (await session.execute(query)).scalars() if family != keep]


async def session_started(session: AsyncSession, settings: Settings, family_id: uuid.UUID) -> datetime:
    """When a session signed in: its first refresh token expires ``refresh_token_ttl_s`` after that."""
    first = (await session.execute(select(func.min(RefreshToken.expires_at))
                                   .where(RefreshToken.family_id == family_id))).scalar_one()
    return first - timedelta(seconds=settings.refresh_token_ttl_s)


async def ended_since(session: AsyncSession, since: datetime) -> list[tuple[uuid.UUID, datetime]]:
    query = (select(RefreshToken.family_id, func.max(RefreshToken.revoked_at))
             .where(RefreshToken.revoked_at > since).group_by(RefreshToken.family_id))
    return [(family, at) for family, at in (await session.execute(query)).all()]


async def find(session: AsyncSession, refresh: str, *, lock: bool = True) -> RefreshToken | None:
    query = select(RefreshToken).where(RefreshToken.token_hash == hash_token(refresh))
    return (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
