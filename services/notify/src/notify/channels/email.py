"""Email over real SMTP (aiosmtplib). Development and tests point it at the local sink."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from notify.channels import Permanent, Temporary
from notify.settings import Settings


async def send_email(settings: Settings, *, to: str, subject: str, body: str, message_id: str) -> str:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(idstring=message_id, domain="care-platform.example")
    message.set_content(body)
    try:
        await aiosmtplib.send(
            message,
            hostname=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username or None,
            password=settings.smtp_password.get_secret_value() or None,
            use_tls=settings.smtp_tls == "tls",
            start_tls=settings.smtp_tls == "starttls",
            timeout=settings.smtp_timeout_s,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        raise Permanent(f"recipient refused: {exc}") from exc
    except aiosmtplib.SMTPResponseException as exc:
        if 500 <= exc.code < 600:
            raise Permanent(f"SMTP {exc.code}: {exc.message}") from exc
        raise Temporary(f"SMTP {exc.code}: {exc.message}") from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise Temporary(f"{type(exc).__name__}: {exc}") from exc
    return message["Message-ID"]
