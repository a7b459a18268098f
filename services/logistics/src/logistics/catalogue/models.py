"""Articles and the ISO 9999 classification. ``search_text`` is a stored lower-cased concatenation of
the four searched fields with a trigram index, so every term's ILIKE is an index scan (LG-4); the article
number and the supplier's article number also have btree indexes (lower-cased) for exact lookups."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models import Base

ARTICLE_TYPES = ("main", "accessory", "consumable", "service")


class IsoClass(Base):
    """A class of ISO 9999: 2 digits (class), 4 (subclass), 6 (division)."""

    __tablename__ = "iso_classes"
    __table_args__ = (CheckConstraint("code ~ '^([0-9]{2}){1,3}$'", name="iso_code_format"),)

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("iso_classes.code"), index=True)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        CheckConstraint(f"article_type IN {ARTICLE_TYPES}", name="article_type"),
        CheckConstraint("debit_form IN ('rent', 'purchase')", name="article_debit_form"),
        CheckConstraint("aid_class IN ('A', 'B')", name="article_aid_class"),
        CheckConstraint("pack_size >= 1", name="article_pack_size"),
        CheckConstraint("new_price_minor >= 0", name="article_price_not_negative"),
        Index("articles_search_trgm", "search_text", postgresql_using="gin", postgresql_ops={"search_text": "gin_trgm_ops"}),
        # an exact number is answered by btree before the trigram search (LG-4, catalogue.service.search)
        Index("articles_number_lower", text("lower(number)")),
        Index("articles_supplier_article_number_lower", text("lower(supplier_article_number)")),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(Text)
    supplier: Mapped[str] = mapped_column(Text)
    supplier_article_number: Mapped[str] = mapped_column(Text)
    article_type: Mapped[str] = mapped_column(String(10))
    unit: Mapped[str] = mapped_column(String(10), default="st")
    pack_size: Mapped[int] = mapped_column(Integer, default=1)
    product_group: Mapped[str] = mapped_column(Text)
    iso_code: Mapped[str] = mapped_column(ForeignKey("iso_classes.code"), index=True)
    new_price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="SEK")
    #: rent: the aid centre owns it (A-aid) and charges rent; purchase: the municipality buys it (B-aid)
    debit_form: Mapped[str] = mapped_column(String(8))
    aid_class: Mapped[str] = mapped_column(String(1))
    individual_tracked: Mapped[bool] = mapped_column(Boolean, default=False)
    responsibility: Mapped[str] = mapped_column(Text, default="")
    documents: Mapped[list] = mapped_column(JSONB, default=list)  # [{"title": …, "url": …}]
    expires_on: Mapped[date | None] = mapped_column(Date)  # an expired article (LG-18)
    search_text: Mapped[str] = mapped_column(
        Text, Computed("lower(number || ' ' || name || ' ' || supplier || ' ' || supplier_article_number)", persisted=True))


class ArticleComponent(Base):
    """Components of a main aid: the standard ones make the individual template (removable on an order),
    the others can be added."""

    __tablename__ = "article_components"

    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    component_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id"), primary_key=True)
    standard: Mapped[bool] = mapped_column(Boolean)
    quantity: Mapped[int] = mapped_column(SmallInteger, default=1)


class ReplacementGroup(Base):
    """LG-6: ranked equivalent articles."""

    __tablename__ = "replacement_groups"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text)


class ReplacementMember(Base):
    __tablename__ = "replacement_members"
    __table_args__ = (UniqueConstraint("group_id", "rank", name="one_article_per_rank"),)

    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("replacement_groups.id", ondelete="CASCADE"), primary_key=True)
    article_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("articles.id"), primary_key=True, unique=True)
    rank: Mapped[int] = mapped_column(SmallInteger)
