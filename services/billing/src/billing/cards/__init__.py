"""Billing cards from closed group sessions and collective invoices (BL-7)."""
