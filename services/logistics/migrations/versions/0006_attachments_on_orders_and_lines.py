"""Attachments on orders and order lines too (LG-11), each attachment belonging to exactly one thing.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("attachments", sa.Column("order_id", sa.Uuid(), nullable=True))
    op.add_column("attachments", sa.Column("order_line_id", sa.Uuid(), nullable=True))
    op.alter_column("attachments", "activity_id", existing_type=sa.Uuid(), nullable=True)
    op.create_index(op.f("ix_attachments_order_id"), "attachments", ["order_id"], unique=False)
    op.create_index(op.f("ix_attachments_order_line_id"), "attachments", ["order_line_id"], unique=False)
    op.create_foreign_key("attachments_order_id_fkey", "attachments", "orders", ["order_id"], ["id"], ondelete="CASCADE")
    op.create_foreign_key("attachments_order_line_id_fkey", "attachments", "order_lines", ["order_line_id"], ["id"], ondelete="CASCADE")
    op.create_check_constraint("attachment_has_one_owner", "attachments", "num_nonnulls(activity_id, order_id, order_line_id) = 1")


def downgrade() -> None:
    op.execute("DELETE FROM attachments WHERE activity_id IS NULL")
    op.drop_constraint("attachment_has_one_owner", "attachments", type_="check")
    op.drop_constraint("attachments_order_line_id_fkey", "attachments", type_="foreignkey")
    op.drop_constraint("attachments_order_id_fkey", "attachments", type_="foreignkey")
    op.drop_index(op.f("ix_attachments_order_line_id"), table_name="attachments")
    op.drop_index(op.f("ix_attachments_order_id"), table_name="attachments")
    op.alter_column("attachments", "activity_id", existing_type=sa.Uuid(), nullable=False)
    op.drop_column("attachments", "order_line_id")
    op.drop_column("attachments", "order_id")
