"""Messages can be withdrawn: a scheduled notice that became moot before anyone was told.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("message_status", "messages", type_="check")
    op.create_check_constraint("message_status", "messages", "status IN ('queued', 'sent', 'failed', 'replaced', 'withdrawn')")


def downgrade() -> None:
    op.execute("DELETE FROM messages WHERE status = 'withdrawn'")
    op.drop_constraint("message_status", "messages", type_="check")
    op.create_check_constraint("message_status", "messages", "status IN ('queued', 'sent', 'failed', 'replaced')")
