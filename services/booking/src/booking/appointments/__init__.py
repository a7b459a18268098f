"""The clinic's appointment book (GR-1..GR-8, from the Norwegian group-appointments manual): appointment
types, week templates that generate appointments, group appointments with seats, check-in, closing with
a shared note and billing cards, and cancellation."""
