"""Billing cards carry the HELFO settlement: the tariffs' fee, the patient's share and HELFO's refund.

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
    op.add_column("billing_cards", sa.Column("helfo_fee_minor", sa.BigInteger(), nullable=True))
    op.add_column("billing_cards", sa.Column("patient_share_minor", sa.BigInteger(), nullable=True))
    op.add_column("billing_cards", sa.Column("helfo_refund_minor", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("billing_cards", "helfo_refund_minor")
    op.drop_column("billing_cards", "patient_share_minor")
    op.drop_column("billing_cards", "helfo_fee_minor")
