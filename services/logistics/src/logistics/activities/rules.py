"""Pure rules for activities."""

from __future__ import annotations


def needs_form(activity_type: str) -> bool:
    """A special adaptation needs its form attached."""
    return activity_type == "special_adaptation"


#: An activity linked to an order holds that order's delivery until the work is done, so only an order not
#: yet delivered or cancelled can get one (the cart, or registered and waiting for delivery).
ORDER_STATUSES_FOR_ACTIVITY = ("cart", "registered")
