"""Warehouses and stock (LG-7), individuals (LG-8), stock replenishment orders."""
