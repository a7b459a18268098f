"""Monthly payouts to therapists (BL-4) and their statements."""
