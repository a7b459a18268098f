"""The throttle counters of credential checks (kit.throttle).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from kit.throttle import create_throttle_table, drop_throttle_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_throttle_table()


def downgrade() -> None:
    drop_throttle_table()
