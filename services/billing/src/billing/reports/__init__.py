"""Financial reports (BL-5) and the therapist's bookings with their money (BL-6)."""
