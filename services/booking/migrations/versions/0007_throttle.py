"""The throttle counters of the invitation and consent links (kit.throttle).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from kit.throttle import create_throttle_table, drop_throttle_table

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_throttle_table()


def downgrade() -> None:
    drop_throttle_table()
