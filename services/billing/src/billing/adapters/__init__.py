"""Billing's outside systems: the payment provider and the bank, each a Protocol, its development stub
and its production adapter (``kit.adapters``)."""
