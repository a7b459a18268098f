"""Logistics' outside systems: the population register (SPAR-shaped), a Protocol, its development stub
and its production adapter (``kit.adapters``)."""
