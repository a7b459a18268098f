"""Orders carry the payer and "our reference" for invoicing (BL-8). Orders made before get the service
unit as their reference and an empty payer (they are not invoiced by specification).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("payer", sa.Text(), nullable=False, server_default=""))
    op.add_column("orders", sa.Column("our_reference", sa.Text(), nullable=True))
    op.execute("UPDATE orders SET our_reference = service_unit")
    op.alter_column("orders", "our_reference", nullable=False)
    op.alter_column("orders", "payer", server_default=None)


def downgrade() -> None:
    op.drop_column("orders", "our_reference")
    op.drop_column("orders", "payer")
