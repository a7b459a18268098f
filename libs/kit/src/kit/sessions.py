"""Sessions the gateway has ended (logout, a password change, refresh-token reuse), known to every process.

An access token stays cryptographically valid until it expires, so ending a session "at once" means every
process that verifies tokens must refuse the token's ``sid`` from the moment it learns of the end. Each
process keeps the ended ids in memory for ``retention_s`` (the longest lifetime an accepted token can have,
plus the clock leeway): after that, every token of the session has expired anyway and the id can go.
The ids reach every process by the gateway's ``SessionEnded`` event on a per-process queue
(:mod:`kit.bus`), and a process that starts later asks the gateway for the ids ended within the retention.
"""

from __future__ import annotations

import time


class EndedSessions:
    """Ended session ids with the time they ended; ``contains`` answers in O(1), pruning is amortised."""

    def __init__(self, retention_s: float) -> None:
        self.retention_s = retention_s
        self._ended: dict[str, float] = {}

    def end(self, session_ids: list[str] | tuple[str, ...], ended_at: float | None = None) -> None:
        at = time.time() if ended_at is None else ended_at
        for sid in session_ids:
            self._ended[str(sid)] = max(at, self._ended.get(str(sid), at))
        self.prune()

    def contains(self, session_id: str | None) -> bool:
        if session_id is None:
            return False
        at = self._ended.get(str(session_id))
        return at is not None and time.time() - at <= self.retention_s

    def prune(self) -> None:
        cutoff = time.time() - self.retention_s
        for sid in [sid for sid, at in self._ended.items() if at < cutoff]:
            del self._ended[sid]

    def __len__(self) -> int:
        return len(self._ended)
