"""Portal's tables. The outbox and inbox tables come from kit (``kit.schema``)."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
