"""A payment keeps the session's time zone (the therapist's), so the refund mail shows the session's time in it.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payments", sa.Column("time_zone", sa.Text(), nullable=False, server_default="Europe/Stockholm"))


def downgrade() -> None:
    op.drop_column("payments", "time_zone")
