"""Prescribers' settings and "my page" (LG-1), messages and news from the aid centre (LG-17)."""
