"""Booking service. The therapist marketplace: profiles, matching, calendar, paid bookings, group appointments, journals."""
