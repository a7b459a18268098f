"""Recipients. The personal identity number is stored to find the patient again (and never leaves this
database: events carry the recipient's id, logs and printouts for suppliers a masked form)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from logistics.models import Base


class Recipient(Base):
    __tablename__ = "recipients"
    __table_args__ = (
        CheckConstraint("kind IN ('patient', 'care_unit')", name="recipient_kind"),
        CheckConstraint("(kind = 'patient') = (personal_number IS NOT NULL) AND (kind = 'care_unit') = (care_unit_number IS NOT NULL)",
                        name="recipient_identified"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(10))
    personal_number: Mapped[str | None] = mapped_column(String(12), unique=True)
    care_unit_number: Mapped[str | None] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(Text)
    # from the population register; not editable here
    street: Mapped[str] = mapped_column(Text, default="")
    postal_code: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str] = mapped_column(Text, default="")
    # editable
    phone: Mapped[str | None] = mapped_column(Text)
    door_code: Mapped[str | None] = mapped_column(Text)
    #: "the prescriber must be contacted": the default of orders, activities and pickups for this recipient
    infection_flag: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class RecipientMunicipality(Base):
    """A recipient belongs to every municipality in whose service units it was registered or prescribed for:
    their prescribers see it; the aid-centre staff of the region see all."""

    __tablename__ = "recipient_municipalities"

    recipient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("recipients.id", ondelete="CASCADE"), primary_key=True)
    municipality_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    since: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
