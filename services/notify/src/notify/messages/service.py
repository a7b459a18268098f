"""Queuing messages: render, check the address, write the delivery-log row (which is also the queue).

Every message comes from an event: (source event, template, recipient) is unique, so a redelivered event
never sends twice. A scheduled message (``due_at`` later) with a ``schedule_key`` replaces a pending one
with the same key, unless that one came from a later change.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Envelope
from kit import context
from notify.messages import addresses
from notify.messages.templates import render
from notify.models import Message, Recipient


class MissingContactDetails(Exception):
    """The directory has no usable address for the account (yet): retried, then dead-lettered."""


async def recipient(session: AsyncSession, account_id: uuid.UUID) -> Recipient:
    found = await session.get(Recipient, account_id)
    if found is None:
        raise MissingContactDetails(f"no contact details for account {account_id}")
    return found


async def remember(session: AsyncSession, account_id: uuid.UUID, display_name: str, email: str | None,
                   phone: str | None, language: str) -> None:
    values = {"display_name": display_name, "email": email, "phone": phone, "language": language}
    await session.execute(
        insert(Recipient).values(account_id=account_id, **values)
        .on_conflict_do_update(index_elements=["account_id"], set_={**values, "updated_at": datetime.now(UTC)})
    )


async def enqueue(
    session: AsyncSession,
    envelope: Envelope,
    *,
    channel: str,
    template: str,
    language: str,
    to_address: str | None,
    recipient_key: str,
    context_values: dict[str, Any],
    secret: bool = False,
    due_at: datetime | None = None,
    schedule_key: str | None = None,
    only_if_told: bool = False,
) -> None:
    """Queue one message. With a ``schedule_key`` it is the newest word under that key: it replaces a
    pending one, and an event older than what the key already holds changes nothing (events about one
    thing may be handled out of order). ``only_if_told``: send only when an earlier message under the
    key went out; otherwise the pending one is dropped and this one is logged as withdrawn (a patient
    taken off an appointment before being told of it hears nothing)."""
    rendered = render(template, language, context_values)
    valid = addresses.valid_email(to_address) if channel == "email" else addresses.valid_phone(to_address)
    values = {
        "id": uuid.uuid4(), "channel": channel, "recipient": recipient_key, "to_address": to_address or "",
        "template": template, "language": language, "subject": rendered.subject, "body": rendered.body,
        "secret": secret, "source_event_id": envelope.event_id, "source_event_type": envelope.event_type,
        "schedule_key": schedule_key, "due_at": due_at or datetime.now(UTC), "source_occurred_at": envelope.occurred_at,
        "status": "queued" if valid else "failed",
        "last_error": None if valid else f"permanent: invalid {'email address' if channel == 'email' else 'phone number'}",
    }
    if not valid and secret:
        values["body"] = "(not kept)"
    if schedule_key is not None and valid:
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(schedule_key))))  # one change at a time per key
        newest = await session.scalar(select(func.max(Message.source_occurred_at)).where(Message.schedule_key == schedule_key))
        if newest is not None and newest > envelope.occurred_at:
            return  # a newer change already decided what this key says
        pending = (
            await session.execute(
                select(Message).where(Message.schedule_key == schedule_key, Message.status == "queued").with_for_update()
            )
        ).scalar_one_or_none()
        if pending is not None:
            pending.status = "replaced"
            await session.flush()
        if only_if_told and await session.scalar(
                select(Message.id).where(Message.schedule_key == schedule_key, Message.status == "sent").limit(1)) is None:
            values["status"], values["last_error"] = "withdrawn", "not sent: nothing had been sent under this key"
    await session.execute(insert(Message).values(**values).on_conflict_do_nothing(
        constraint="one_message_per_event_and_recipient"))
    _wake_sender()


def _wake_sender() -> None:
    state = context.app_state.get()
    wake = getattr(state, "wake_sender", None) if state is not None else None
    if wake is not None:
        wake.set()


async def deliveries(session: AsyncSession, *, status: str | None, template: str | None, limit: int) -> list[Message]:
    query = select(Message).order_by(Message.created_at.desc()).limit(limit)
    if status:
        query = query.where(Message.status == status)
    if template:
        query = query.where(Message.template == template)
    return list((await session.execute(query)).scalars())
