"""Tenancy (issue #18): logistics keeps a copy of the directory and an append-only audit; prescribers'
settings name a granted service unit instead of free text; orders, activities, pickups, deviations and
return receipts record the service unit (id, code) and municipality they were made for, orders also their
orderer; recipients belong to the municipalities they were registered or prescribed in.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

from kit.audit import create_audit_table, drop_audit_table
from kit.directory import create_directory_tables, drop_directory_tables

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

RECORDS = ("activities", "pickups", "deviations")


def upgrade() -> None:
    create_directory_tables()
    create_audit_table()
    # prescribers: the default service unit among the granted ones (payer and own stores follow from grants)
    op.add_column("prescribers", sa.Column("service_unit_id", sa.Uuid(), nullable=True))
    op.drop_column("prescribers", "service_units")
    op.drop_column("prescribers", "payer")
    # orders: the service unit and municipality (payer) by id and code, the orderer beside the prescriber
    op.add_column("orders", sa.Column("orderer_id", sa.Uuid(), nullable=True))
    op.execute("UPDATE orders SET orderer_id = prescriber_id")
    op.alter_column("orders", "orderer_id", existing_type=sa.Uuid(), nullable=False)
    op.create_index("ix_orders_orderer_id", "orders", ["orderer_id"])
    op.drop_index("one_cart_per_prescriber_and_recipient", table_name="orders")
    op.create_index("one_cart_per_orderer_and_recipient", "orders", ["orderer_id", "recipient_id"], unique=True,
                    postgresql_where=sa.text("status = 'cart'"))
    for table in ("orders", *RECORDS):
        op.add_column(table, sa.Column("service_unit_id", sa.Uuid(), nullable=True))
        op.add_column(table, sa.Column("service_unit_code", sa.Text(), nullable=True))
        op.add_column(table, sa.Column("municipality_id", sa.Uuid(), nullable=True))
        op.create_index(f"ix_{table}_municipality_id", table, ["municipality_id"])
    op.add_column("orders", sa.Column("payer_code", sa.Text(), nullable=True))
    op.add_column("return_receipts", sa.Column("municipality_id", sa.Uuid(), nullable=True))
    op.create_index("ix_return_receipts_municipality_id", "return_receipts", ["municipality_id"])
    op.create_table(
        "recipient_municipalities",
        sa.Column("recipient_id", sa.Uuid(), sa.ForeignKey("recipients.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("municipality_id", sa.Uuid(), primary_key=True, index=True),
        sa.Column("since", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("recipient_municipalities")
    op.drop_index("ix_return_receipts_municipality_id", table_name="return_receipts")
    op.drop_column("return_receipts", "municipality_id")
    op.drop_column("orders", "payer_code")
    for table in ("orders", *RECORDS):
        op.drop_index(f"ix_{table}_municipality_id", table_name=table)
        for column in ("municipality_id", "service_unit_code", "service_unit_id"):
            op.drop_column(table, column)
    op.drop_index("one_cart_per_orderer_and_recipient", table_name="orders")
    op.create_index("one_cart_per_prescriber_and_recipient", "orders", ["prescriber_id", "recipient_id"], unique=True,
                    postgresql_where=sa.text("status = 'cart'"))
    op.drop_index("ix_orders_orderer_id", table_name="orders")
    op.drop_column("orders", "orderer_id")
    op.add_column("prescribers", sa.Column("payer", sa.Text(), nullable=False, server_default=""))
    op.add_column("prescribers", sa.Column("service_units", sa.ARRAY(sa.Text()), nullable=False, server_default="{}"))
    op.drop_column("prescribers", "service_unit_id")
    drop_audit_table()
    drop_directory_tables()
