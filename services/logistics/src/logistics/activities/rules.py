"""Pure rules for activities and attachments."""

from __future__ import annotations

MAX_ATTACHMENT = 5 * 1024 * 1024
ACCEPTED = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n", "image/jpeg": b"\xff\xd8\xff"}


class ActivityRuleError(ValueError):
    pass


def check_attachment(content_type: str, content: bytes) -> None:
    """PDF, PNG or JPEG up to 5 MB, and the bytes must be what the type says."""
    if content_type not in ACCEPTED:
        raise ActivityRuleError(f"attachments are PDF, PNG or JPEG, not {content_type}")
    if not content:
        raise ActivityRuleError("the attachment is empty")
    if len(content) > MAX_ATTACHMENT:
        raise ActivityRuleError(f"an attachment is at most {MAX_ATTACHMENT // (1024 * 1024)} MB")
    if not content.startswith(ACCEPTED[content_type]):
        raise ActivityRuleError(f"the file is not a {content_type.split('/')[1].upper()}")


def needs_form(activity_type: str) -> bool:
    """A special adaptation needs its form attached."""
    return activity_type == "special_adaptation"
