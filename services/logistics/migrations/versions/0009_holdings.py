"""Holdings (LG-21): a delivered aid without an individual number is held by the recipient with its quantity,
the order and line it came from, its service unit and payer; its history; return receipts list holdings too.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "holdings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("article_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("order_line_id", sa.Uuid(), nullable=False),
        sa.Column("delivered_quantity", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("service_unit_id", sa.Uuid(), nullable=True),
        sa.Column("service_unit_code", sa.Text(), nullable=True),
        sa.Column("service_unit", sa.Text(), nullable=False),
        sa.Column("municipality_id", sa.Uuid(), nullable=True),
        sa.Column("payer_code", sa.Text(), nullable=True),
        sa.Column("payer", sa.Text(), nullable=False),
        sa.CheckConstraint("quantity >= 0 AND quantity <= delivered_quantity", name="holding_quantity"),
        sa.CheckConstraint("(quantity = 0) = (ended_at IS NOT NULL)", name="holding_ended_at_zero"),
        sa.ForeignKeyConstraint(["recipient_id"], ["recipients.id"]),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"]),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"]),
        sa.ForeignKeyConstraint(["order_line_id"], ["order_lines.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("order_line_id"),
    )
    op.create_index(op.f("ix_holdings_recipient_id"), "holdings", ["recipient_id"], unique=False)
    op.create_index(op.f("ix_holdings_article_id"), "holdings", ["article_id"], unique=False)
    op.create_index(op.f("ix_holdings_order_id"), "holdings", ["order_id"], unique=False)
    op.create_index(op.f("ix_holdings_municipality_id"), "holdings", ["municipality_id"], unique=False)
    op.create_table(
        "holding_events",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("holding_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("clock_timestamp()"), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["holding_id"], ["holdings.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_holding_events_holding_id"), "holding_events", ["holding_id"], unique=False)
    op.add_column("return_receipts", sa.Column("holdings", postgresql.JSONB(astext_type=sa.Text()),
                                               server_default="[]", nullable=False))
    # non-serial aids delivered before: each delivered order line of an article without individual numbers
    op.execute("""
        INSERT INTO holdings (id, recipient_id, article_id, order_id, order_line_id, delivered_quantity, quantity, delivered_at,
                              service_unit_id, service_unit_code, service_unit, municipality_id, payer_code, payer)
        SELECT gen_random_uuid(), o.recipient_id, l.article_id, o.id, l.id, l.quantity, l.quantity, coalesce(o.closed_at, now()),
               o.service_unit_id, o.service_unit_code, o.service_unit, o.municipality_id, o.payer_code, o.payer
        FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN articles a ON a.id = l.article_id
        WHERE o.status = 'delivered' AND NOT a.individual_tracked AND a.article_type <> 'service'
    """)


def downgrade() -> None:
    op.drop_column("return_receipts", "holdings")
    op.drop_index(op.f("ix_holding_events_holding_id"), table_name="holding_events")
    op.drop_table("holding_events")
    for column in ("municipality_id", "order_id", "article_id", "recipient_id"):
        op.drop_index(op.f(f"ix_holdings_{column}"), table_name="holdings")
    op.drop_table("holdings")
