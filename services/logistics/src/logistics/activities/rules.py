"""Pure rules for activities."""

from __future__ import annotations


def needs_form(activity_type: str) -> bool:
    """A special adaptation needs its form attached."""
    return activity_type == "special_adaptation"
