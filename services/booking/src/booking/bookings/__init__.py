"""Paid bookings (BK-15..BK-18): the booking side of the paid-booking saga and the 24-hour rule."""
