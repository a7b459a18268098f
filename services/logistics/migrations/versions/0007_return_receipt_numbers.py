"""Return receipts get a number a clerk can write down (a case number, YYWWNNNN) instead of a UUID.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("return_receipts", sa.Column("number", sa.String(length=8), nullable=True))
    # receipts printed before: a number of their own that no case number can take (case numbers are digits)
    op.execute("UPDATE return_receipts SET number = 'R' || substr(md5(id::text), 1, 7) WHERE number IS NULL")
    op.alter_column("return_receipts", "number", existing_type=sa.String(length=8), nullable=False)
    op.create_unique_constraint("return_receipts_number_key", "return_receipts", ["number"])


def downgrade() -> None:
    op.drop_constraint("return_receipts_number_key", "return_receipts", type_="unique")
    op.drop_column("return_receipts", "number")
