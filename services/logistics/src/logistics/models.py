"""Logistics's tables. The outbox and inbox tables come from kit (``kit.schema``)."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


def load_all_models() -> None:
    """Import every feature's models so Base.metadata knows all tables (alembic autogenerate)."""
    import logistics.activities.models  # noqa: F401
    import logistics.attachments  # noqa: F401
    import logistics.case_numbers  # noqa: F401
    import logistics.catalogue.models  # noqa: F401
    import logistics.orders.models  # noqa: F401
    import logistics.prescribers.models  # noqa: F401
    import logistics.recipients.models  # noqa: F401
    import logistics.returns.models  # noqa: F401
    import logistics.stock.models  # noqa: F401
