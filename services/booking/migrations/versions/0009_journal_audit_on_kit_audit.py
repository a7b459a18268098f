"""The journal's audit moves onto kit.audit: journal_audit becomes audit_trail, the rows stay as they are.

kit.audit.row_hash hashes the same fields in the same order as the journal did (the client is the subject,
the care unit the organisation; the reason is appended only when there is one), so every existing row
keeps verifying and new rows chain on from the last one. The journal's trigger (kit_refuse_change) gives way
to kit.audit's guard, which lets a DELETE through only for the retention purge.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from kit import audit

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS journal_audit_append_only ON journal_audit")
    op.execute("DROP TRIGGER IF EXISTS journal_audit_no_truncate ON journal_audit")
    op.rename_table('journal_audit', 'audit_trail')
    op.execute("ALTER SEQUENCE IF EXISTS journal_audit_id_seq RENAME TO audit_trail_id_seq")
    op.execute("ALTER INDEX IF EXISTS journal_audit_pkey RENAME TO audit_trail_pkey")
    op.alter_column('audit_trail', 'client_id', new_column_name='subject_id')
    op.alter_column('audit_trail', 'care_unit', new_column_name='organisation')
    op.add_column('audit_trail', sa.Column('reason', sa.Text(), nullable=True))
    op.execute("ALTER INDEX IF EXISTS ix_journal_audit_client_id RENAME TO ix_audit_trail_subject_id")
    op.create_index('ix_audit_trail_at', 'audit_trail', ['at'])
    op.create_index('ix_audit_trail_actor_id', 'audit_trail', ['actor_id'])
    audit.install(op.get_bind())  # the table exists now (create_all skips it): kit.audit's guard triggers


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_trail_append_only ON audit_trail")
    op.execute("DROP TRIGGER IF EXISTS audit_trail_no_truncate ON audit_trail")
    op.drop_index('ix_audit_trail_actor_id', table_name='audit_trail')
    op.drop_index('ix_audit_trail_at', table_name='audit_trail')
    op.execute("ALTER INDEX IF EXISTS ix_audit_trail_subject_id RENAME TO ix_journal_audit_client_id")
    op.drop_column('audit_trail', 'reason')  # rows with a reason would no longer verify as the journal's
    op.alter_column('audit_trail', 'organisation', new_column_name='care_unit')
    op.alter_column('audit_trail', 'subject_id', new_column_name='client_id')
    op.execute("ALTER INDEX IF EXISTS audit_trail_pkey RENAME TO journal_audit_pkey")
    op.execute("ALTER SEQUENCE IF EXISTS audit_trail_id_seq RENAME TO journal_audit_id_seq")
    op.rename_table('audit_trail', 'journal_audit')
    from kit.schema import make_append_only
    make_append_only('journal_audit')
