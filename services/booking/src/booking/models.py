"""Booking's tables. The outbox and inbox tables come from kit (``kit.schema``)."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


def load_all_models() -> None:
    """Import every feature's models so Base.metadata knows all tables (alembic autogenerate)."""
    import booking.appointments.models  # noqa: F401
    import booking.bookings.models  # noqa: F401
    import booking.calendar.models  # noqa: F401
    import booking.clients.models  # noqa: F401
    import booking.journal.models  # noqa: F401
    import booking.therapists.models  # noqa: F401
