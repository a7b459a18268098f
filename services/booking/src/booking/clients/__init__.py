"""Clients: the questionnaire and matching (BK-8), the therapist's client list and card (BK-9, BK-10),
invitations (BK-11) and accounts therapists create (BK-12, through the gateway)."""
