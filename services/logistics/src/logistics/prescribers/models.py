"""Prescriber settings, news and messages."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models import Base


class Prescriber(Base):
    """LG-1: chosen at first login among what the aid centre granted; the "my page" contact details."""

    __tablename__ = "prescribers"
    __table_args__ = (CheckConstraint("default_source IN ('aid_centre', 'own_store')", name="prescriber_default_source"),)

    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    default_source: Mapped[str] = mapped_column(String(10))
    #: the default service unit of orders and other records, one of those granted (the payer is its municipality)
    service_unit_id: Mapped[uuid.UUID | None]
    #: codes of the buffer stores chosen as own stores, among those granted (store_keeper)
    own_stores: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    expired_articles_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    phone: Mapped[str | None] = mapped_column(Text)
    mobile: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())


class News(Base):
    """LG-17: news from the aid centre to every prescriber, or a message to one (``to_account_id``)."""

    __tablename__ = "news"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    to_account_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[uuid.UUID]
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class NewsRead(Base):
    __tablename__ = "news_read"

    news_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
