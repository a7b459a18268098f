"""Email over SMTP (aiosmtplib), chosen by NOTIFY_MAIL_ADAPTER (NT-1).

SMTP is a protocol, not an HTTP API, so both choices speak it; what differs is where to and how safely:
- ``stub``: the local development sink (``python -m notify smtp-sink``, started by ``make run``), which
  keeps every mail in notify's database for ``GET /dev/mail``; plain SMTP on NOTIFY_SMTP_HOST/PORT;
- ``smtp``: the real relay at NOTIFY_SMTP_HOST, over TLS (NOTIFY_SMTP_TLS ``starttls`` or ``tls``) with
  NOTIFY_SMTP_USERNAME/NOTIFY_SMTP_PASSWORD; production refuses it without TLS or credentials
  (``Settings.problems``), so mail is never sent to an unnamed development sink.
A 5xx reply (refused recipient, refused login) is permanent; a 4xx reply, a timeout or an unreachable
relay is temporary.
"""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

import aiosmtplib

from notify.adapters import Permanent, Temporary
from notify.settings import Settings


class Mailer(Protocol):
    async def send(self, *, to: str, subject: str, body: str, message_id: str) -> str: ...


class SmtpMailer:
    """The stub and the production adapter alike: they differ only in their settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.tls_context = (ssl.create_default_context(cafile=settings.smtp_ca_file or None)
                            if settings.smtp_tls != "none" else None)

    async def send(self, *, to: str, subject: str, body: str, message_id: str) -> str:
        settings = self.settings
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
                tls_context=self.tls_context,
                timeout=settings.smtp_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:  # 550 no such mailbox is final; 451 later is not
            if any(500 <= refused.code < 600 for refused in exc.recipients):
                raise Permanent("the relay refused the recipient") from exc
            raise Temporary("the relay cannot take mail for the recipient right now") from exc
        except aiosmtplib.SMTPResponseException as exc:
            if 500 <= exc.code < 600:
                raise Permanent(f"SMTP {exc.code}: {exc.message}") from exc
            raise Temporary(f"SMTP {exc.code}: {exc.message}") from exc
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise Temporary(f"{type(exc).__name__}: {exc}") from exc
        return message["Message-ID"]


def mailer(settings: Settings) -> Mailer:
    return SmtpMailer(settings)
