"""Tenancy: the portal's copy of the gateway's directory replaces its own organisations and coordinators,
and kit.audit's hash-chained ``audit_trail`` replaces ``access_audit``.

- ``directory_organisations`` / ``directory_memberships`` (kit.directory) are created. The portal's own
  ``organisations`` become care organisations of the copy (code ``legacy-<id>``) and its ``coordinators``
  ``care_coordinator`` memberships, so records made before keep their organisation; the gateway's directory
  events overwrite them by id from now on. Then both tables go (and the clients' foreign key to them).
- ``audit_trail`` (kit.audit) is created; every ``access_audit`` row is copied into it in order, chained
  (actor, client as subject, action, allowed, reason, the same time), then ``access_audit`` is dropped.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from kit.audit import GENESIS, audit_trail, create_audit_table, drop_audit_table, row_hash
from kit.directory import create_directory_tables, drop_directory_tables
from kit.schema import make_append_only

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_directory_tables()
    create_audit_table()
    bind = op.get_bind()
    bind.execute(sa.text(
        "INSERT INTO directory_organisations (id, kind, parent_id, code, name, time_zone, active) "
        "SELECT id, 'care_organisation', NULL, 'legacy-' || id::text, name, time_zone, true FROM organisations "
        "ON CONFLICT (id) DO NOTHING"))
    bind.execute(sa.text(
        "INSERT INTO directory_memberships (account_id, organisation_id, role) "
        "SELECT account_id, organisation_id, 'care_coordinator' FROM coordinators ON CONFLICT DO NOTHING"))
    prev = GENESIS
    rows = []
    for old in bind.execute(sa.text("SELECT at, account_id, client_id, action, allowed, reason FROM access_audit ORDER BY id")):
        digest = row_hash(prev, old.at, old.account_id, old.client_id, old.action, None, old.allowed, None, old.reason)
        rows.append({"at": old.at, "actor_id": old.account_id, "subject_id": old.client_id, "action": old.action,
                     "target": None, "allowed": old.allowed, "organisation": None, "reason": old.reason,
                     "prev_hash": prev, "hash": digest})
        prev = digest
    if rows:
        bind.execute(audit_trail.insert(), rows)
    op.drop_constraint("clients_organisation_id_fkey", "clients", type_="foreignkey")
    op.drop_table("coordinators")
    op.drop_table("organisations")
    op.drop_table("access_audit")


def downgrade() -> None:
    op.create_table("organisations",
                    sa.Column("id", sa.Uuid(), primary_key=True),
                    sa.Column("name", sa.Text(), nullable=False),
                    sa.Column("time_zone", sa.Text(), nullable=False))
    op.execute("INSERT INTO organisations (id, name, time_zone) SELECT id, name, time_zone FROM directory_organisations "
               "WHERE kind = 'care_organisation'")
    op.execute("INSERT INTO organisations (id, name, time_zone) SELECT DISTINCT organisation_id, 'unknown', "
               "'Europe/Amsterdam' FROM clients ON CONFLICT DO NOTHING")
    op.create_table("coordinators",
                    sa.Column("account_id", sa.Uuid(), primary_key=True),
                    sa.Column("organisation_id", sa.Uuid(), sa.ForeignKey("organisations.id"), primary_key=True))
    op.execute("INSERT INTO coordinators (account_id, organisation_id) SELECT m.account_id, m.organisation_id "
               "FROM directory_memberships m JOIN organisations o ON o.id = m.organisation_id "
               "WHERE m.role = 'care_coordinator'")
    op.create_foreign_key("clients_organisation_id_fkey", "clients", "organisations", ["organisation_id"], ["id"])
    op.create_table("access_audit",
                    sa.Column("id", sa.BigInteger(), autoincrement=True, primary_key=True),
                    sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
                    sa.Column("account_id", sa.Uuid(), nullable=False),
                    sa.Column("client_id", sa.Uuid(), nullable=True),
                    sa.Column("action", sa.Text(), nullable=False),
                    sa.Column("allowed", sa.Boolean(), nullable=False),
                    sa.Column("reason", sa.Text(), nullable=True))
    op.execute("INSERT INTO access_audit (at, account_id, client_id, action, allowed, reason) "
               "SELECT at, actor_id, subject_id, action, allowed, reason FROM audit_trail ORDER BY id")
    make_append_only("access_audit")
    drop_audit_table()
    drop_directory_tables()
