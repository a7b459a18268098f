"""Billing keeps a copy of the directory (kit.directory): who may read which payer's invoice specifications
(the municipality's controllers, the region's aid-centre staff).

Revision ID: 0011
Revises: 0010
"""

from kit.directory import create_directory_tables, drop_directory_tables

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_directory_tables()


def downgrade() -> None:
    drop_directory_tables()
