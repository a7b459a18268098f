"""Bookings announce their changes: a committed new booking or change of status wakes the requests that
wait on it (``GET /bookings/{id}?changed_from=…&wait=…``, kit.changes).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 22:05:00
"""

from alembic import op

from kit.schema import announce_changes

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    announce_changes("bookings", "id", ["status"])


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS bookings_announce ON bookings")
