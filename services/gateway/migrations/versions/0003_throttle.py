"""The throttle counters of credential checks (kit.throttle); temporary passwords expire.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

from kit.throttle import create_throttle_table, drop_throttle_table

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_throttle_table()
    op.add_column("accounts", sa.Column("temporary_password_expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("accounts", "temporary_password_expires_at")
    drop_throttle_table()
