"""Payments announce their changes by booking: a committed new payment or change of status wakes the
requests that wait on it (``GET /payments/by-booking/{booking_id}?wait=…``, kit.changes).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 22:05:00
"""

from alembic import op

from kit.schema import announce_changes

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    announce_changes("payments", "booking_id", ["status"])


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS payments_announce ON payments")
