"""Booking's copy of the directory (kit.directory) and the clinic of every appointment type, week template
and appointment: a practitioner works on the appointment book of the clinics where they hold "practitioner".

Rows made before this migration have no clinic (NULL): only their own practitioner sees them, as before.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from kit.directory import create_directory_tables, drop_directory_tables

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

TABLES = ("appointment_types", "week_templates", "appointments")


def upgrade() -> None:
    create_directory_tables()
    for table in TABLES:
        op.add_column(table, sa.Column('organisation_id', sa.Uuid(), nullable=True))
        op.create_index(f'ix_{table}_organisation_id', table, ['organisation_id'])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f'ix_{table}_organisation_id', table_name=table)
        op.drop_column(table, 'organisation_id')
    drop_directory_tables()
