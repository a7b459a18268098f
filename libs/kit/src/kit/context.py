"""Request- and message-scoped context: the correlation id and the event being handled.

Set by the HTTP middleware (``X-Correlation-ID``) and by the consumer wrapper (from the envelope), read by
``outbox.add`` so every event written while handling something carries the right correlation and
causation ids without use cases passing them around.
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from typing import Any

correlation_id: ContextVar[uuid.UUID | None] = ContextVar("correlation_id", default=None)
causation_id: ContextVar[uuid.UUID | None] = ContextVar("causation_id", default=None)
#: The running service's ``app.state`` (settings, db and whatever the service put there, such as a
#: provider adapter) while a consumer handles a message; routes use ``request.app.state``.
app_state: ContextVar[Any] = ContextVar("app_state", default=None)


def parse_uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
