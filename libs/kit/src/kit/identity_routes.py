"""``GET /whoami``: the identity this service verified from the caller's token (every service has it)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel

from kit.auth import CurrentPrincipal

router = APIRouter(tags=["health"])


class WhoAmI(BaseModel):
    account_id: uuid.UUID
    roles: list[str]
    acting_for: uuid.UUID | None


@router.get("/whoami")
async def whoami(principal: CurrentPrincipal) -> WhoAmI:
    return WhoAmI(account_id=principal.account_id, roles=sorted(principal.roles), acting_for=principal.acting_for)
