"""Therapists: applications and their review against the licence register (BK-1, BK-2), profiles
(BK-3..BK-5), problem areas (BK-6) and contact reasons (BK-7)."""
