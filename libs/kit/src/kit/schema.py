"""The tables kit owns in every service's database: the outbox, the inbox and idempotency keys.

Each service's first migration calls ``create_kit_tables()``; alembic's ``env.py`` includes
``kit_metadata`` beside the service's own metadata so autogenerate leaves these tables alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.engine import Connection

kit_metadata = MetaData()

#: NOTIFY channel the outbox trigger signals; NOTIFY is scoped to one database, so one name suffices.
OUTBOX_CHANNEL = "kit_outbox"
#: Committed changes that requests may wait on (``kit.changes``)
CHANGES_CHANNEL = "kit_changes"

outbox = Table(
    "outbox",
    kit_metadata,
    # The sequence gives the publication order; per-aggregate order follows from it.
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
    Column("event_type", Text, nullable=False),
    Column("routing_key", Text, nullable=False),
    Column("aggregate_id", Text),
    Column("body", JSONB, nullable=False),
    Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True)),
    #: True when the broker returned the message because no queue was bound for its routing key.
    Column("unroutable", Boolean, nullable=False, server_default=text("false")),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Index("outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
)

inbox = Table(
    "inbox",
    kit_metadata,
    Column("consumer", Text, primary_key=True),
    Column("event_id", UUID(as_uuid=True), primary_key=True),
    Column("event_type", Text, nullable=False),
    Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

idempotency_keys = Table(
    "idempotency_keys",
    kit_metadata,
    # scope: who and what (e.g. "reserve:<account id>"), so one client's key never answers another's request
    Column("scope", Text, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("fingerprint", Text, nullable=False),
    Column("status_code", Integer),
    Column("response", JSONB),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

_NOTIFY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION kit_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{OUTBOX_CHANNEL}', '');
    RETURN NULL;
END $$;
"""
_NOTIFY_TRIGGER = """
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
FOR EACH STATEMENT EXECUTE FUNCTION kit_outbox_notify();
"""


def install(connection: Connection) -> None:
    """Create the outbox (with its NOTIFY trigger) and the inbox on a synchronous connection."""
    kit_metadata.create_all(connection)
    connection.execute(text(_NOTIFY_FUNCTION))
    connection.execute(text(_NOTIFY_TRIGGER))


def create_kit_tables() -> None:
    """Alembic migration step of every service's first revision."""
    from alembic import op

    install(op.get_bind())


def drop_kit_tables() -> None:
    from alembic import op

    op.execute("DROP TRIGGER IF EXISTS outbox_notify ON outbox")
    op.execute("DROP FUNCTION IF EXISTS kit_outbox_notify()")
    kit_metadata.drop_all(op.get_bind())


_REFUSE_CHANGE_FUNCTION = """
CREATE OR REPLACE FUNCTION kit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
"""


def make_append_only(table: str) -> None:
    """Alembic migration step: refuse UPDATE, DELETE and TRUNCATE on ``table`` (audit logs, money
    movements). Rows can only be added; the database itself enforces it."""
    from alembic import op

    op.execute(_REFUSE_CHANGE_FUNCTION)
    op.execute(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION kit_refuse_change()"
    )
    op.execute(
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION kit_refuse_change()"
    )


_ANNOUNCE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION kit_announce_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANGES_CHANNEL}', TG_TABLE_NAME || ':' || (to_jsonb(NEW) ->> TG_ARGV[0]));
    RETURN NULL;
END $$;
"""


def announce_statements(table: str, key_column: str, columns: Sequence[str] = ()) -> list[str]:
    """The SQL behind ``announce_changes``."""
    events = "INSERT" + (f" OR UPDATE OF {', '.join(columns)}" if columns else "")
    return [_ANNOUNCE_FUNCTION, f"CREATE TRIGGER {table}_announce AFTER {events} ON {table} "
                                f"FOR EACH ROW EXECUTE FUNCTION kit_announce_change('{key_column}')"]


def announce_changes(table: str, key_column: str, columns: Sequence[str] = ()) -> None:
    """Alembic migration step: every committed insert into ``table``, and every update of ``columns``, is
    announced as ``<table>:<value of key_column>``, so requests waiting on it wake (``kit.changes``)."""
    from alembic import op

    for statement in announce_statements(table, key_column, columns):
        op.execute(statement)

