"""Pseudonyms for partner regions (LG-19): the recipient appears as an HMAC of its id with a key logistics
keeps — stable for one recipient, saying nothing about who it is, and not reversible without the key."""

from __future__ import annotations

import hashlib
import hmac
import uuid


def recipient_ref(key: str, recipient_id: uuid.UUID) -> str:
    return hmac.new(key.encode(), str(recipient_id).encode(), hashlib.sha256).hexdigest()[:32]
