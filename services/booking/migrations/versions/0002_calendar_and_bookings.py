"""Slots (never overlapping: an exclusion constraint), bookings (one live booking per slot), calendar feeds.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "slots",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("therapist_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("video", sa.Boolean(), nullable=False),
        sa.Column("on_site", sa.Boolean(), nullable=False),
        sa.Column("audience", sa.String(20), nullable=False),
        sa.Column("invited_client_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name="slot_has_length"),
        sa.CheckConstraint("status IN ('free', 'held', 'booked')", name="slot_status"),
        sa.CheckConstraint("audience IN ('everyone', 'existing_clients', 'invited')", name="slot_audience"),
        sa.CheckConstraint("video OR on_site", name="slot_has_a_form"),
        sa.CheckConstraint("price_minor >= 0", name="slot_price_not_negative"),
        sa.CheckConstraint("audience <> 'invited' OR invited_client_id IS NOT NULL", name="invited_slot_names_client"),
    )
    # A therapist's slots never overlap (half-open ranges: one may end when the next starts).
    op.execute(
        "ALTER TABLE slots ADD CONSTRAINT slots_do_not_overlap "
        "EXCLUDE USING gist (therapist_id WITH =, tstzrange(starts_at, ends_at, '[)') WITH &&)"
    )
    op.create_index("slots_by_time", "slots", ["therapist_id", "starts_at"])
    op.create_table(
        "bookings",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("slot_id", sa.Uuid(), sa.ForeignKey("slots.id", ondelete="SET NULL"), nullable=True, index=True),
        sa.Column("therapist_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("client_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("video", sa.Boolean(), nullable=False),
        sa.Column("on_site", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("booked_by", sa.String(10), nullable=False),
        sa.Column("payment", sa.String(10), nullable=False),
        sa.Column("hold_expires_at", sa.DateTime(timezone=True), nullable=True, index=True),
        sa.Column("cancelled_by", sa.String(10), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refund", sa.Boolean(), nullable=True),
        sa.Column("therapist_paid", sa.Boolean(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status IN ('pending_payment', 'confirmed', 'cancelled', 'expired')", name="booking_status"),
        sa.CheckConstraint("payment IN ('platform', 'outside')", name="booking_payment"),
    )
    op.create_index("one_live_booking_per_slot", "bookings", ["slot_id"], unique=True,
                    postgresql_where=sa.text("status IN ('pending_payment', 'confirmed')"))
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("therapist_id", sa.Uuid(), nullable=False, index=True),
        sa.Column("token_hash", sa.Text(), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
    op.drop_table("bookings")
    op.drop_table("slots")
