"""Payments for bookings (BL-1) and refunds (BL-2): the billing side of the paid-booking saga."""
