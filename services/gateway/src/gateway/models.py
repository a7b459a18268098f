"""Gateway's tables. The outbox and inbox tables come from kit (``kit.schema``)."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


def load_all_models() -> None:
    """Import every feature's models so Base.metadata knows all tables (alembic autogenerate)."""
    import gateway.directory.models  # noqa: F401
    import gateway.identity.models  # noqa: F401
