"""Logistics service. Assistive devices: catalogue, stock, individuals, recipients, orders, pickups, returns, activities."""
