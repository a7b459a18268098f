"""Attachments on orders, order lines and activities (LG-11, LG-14): PDF, PNG or JPEG up to 5 MB whose
bytes match their type, stored in the database with the thing they belong to."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, LargeBinary, String, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kit.problems import invalid
from logistics.models import Base

MAX_BYTES = 5 * 1024 * 1024
SIGNATURES = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


class Attachment(Base):
    __tablename__ = "attachments"
    __table_args__ = (
        CheckConstraint("size_bytes <= 5242880", name="attachment_size"),
        CheckConstraint("num_nonnulls(activity_id, order_id, order_line_id) = 1", name="attachment_has_one_owner"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    activity_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(60))
    size_bytes: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AttachmentRuleError(ValueError):
    pass


def check(content_type: str, content: bytes) -> None:
    """PDF, PNG or JPEG up to 5 MB, and the bytes must be what the type says."""
    if content_type not in SIGNATURES:
        raise AttachmentRuleError(f"attachments are PDF, PNG or JPEG, not {content_type}")
    if not content:
        raise AttachmentRuleError("the attachment is empty")
    if len(content) > MAX_BYTES:
        raise AttachmentRuleError(f"an attachment is at most {MAX_BYTES // (1024 * 1024)} MB")
    if not content.startswith(SIGNATURES[content_type]):
        raise AttachmentRuleError(f"the file is not a {content_type.split('/')[1].upper()}")


def decode(files: list[dict]) -> list[tuple[str, str, bytes]]:
    """Files sent inside JSON (``content_base64``), checked."""
    decoded = []
    for item in files:
        try:
            content = base64.b64decode(item["content_base64"], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise invalid(f"attachment {item['filename']} is not valid base64") from exc
        try:
            check(item["content_type"], content)
        except AttachmentRuleError as exc:
            raise invalid(f"attachment {item['filename']}: {exc}") from exc
        decoded.append((item["filename"], item["content_type"], content))
    return decoded


async def add(session: AsyncSession, filename: str, content_type: str, content: bytes, **owner: uuid.UUID) -> Attachment:
    try:
        check(content_type, content)
    except AttachmentRuleError as exc:
        raise invalid(str(exc)) from exc
    attachment = Attachment(id=uuid.uuid4(), filename=filename, content_type=content_type, size_bytes=len(content), content=content, **owner)
    session.add(attachment)
    await session.flush()
    return attachment


async def of(session: AsyncSession, **owner: uuid.UUID) -> list[Attachment]:
    (column, value), = owner.items()
    return list((await session.execute(select(Attachment).where(getattr(Attachment, column) == value)
                                       .order_by(Attachment.uploaded_at))).scalars())
