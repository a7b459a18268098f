"""What a recipient's page lists of activities and deviations (LG-10)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from logistics.activities.models import Activity, Deviation
from logistics.tenancy import Scope


async def activities_for(session: AsyncSession, scope: Scope, recipient_id: uuid.UUID, *, open_only: bool = False) -> list[Activity]:
    """The recipient's activities of the caller's municipalities."""
    query = (select(Activity).where(Activity.recipient_id == recipient_id, scope.where(Activity.municipality_id))
             .order_by(Activity.created_at.desc()))
    if open_only:
        query = query.where(Activity.status == "open")
    return list((await session.execute(query)).scalars())


async def deviations_for(session: AsyncSession, scope: Scope, recipient_id: uuid.UUID) -> list[Deviation]:
    return list((await session.execute(select(Deviation).where(Deviation.recipient_id == recipient_id,
                                                               scope.where(Deviation.municipality_id))
                                       .order_by(Deviation.created_at.desc()))).scalars())
