"""The development SMTP sink (`python -m notify smtp-sink`): an aiosmtpd server that stores every mail
it receives in notify's ``dev_mailbox`` table, where ``GET /dev/mail`` shows it. Never for production."""

from __future__ import annotations

import asyncio
import logging
import signal
from email import message_from_bytes, policy

from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import insert

from kit.db import Database
from notify.models import DevMail
from notify.settings import Settings

log = logging.getLogger("notify.sink")


class StoreMail:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        parsed = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        try:
            async with self.db.transaction() as tx:
                for rcpt in envelope.rcpt_tos:
                    await tx.execute(insert(DevMail).values(
                        mail_from=envelope.mail_from or "", rcpt_to=rcpt, subject=str(parsed["Subject"] or ""),
                        body=body.get_content() if body else "",
                    ))
        except Exception as exc:  # noqa: BLE001 - as a mail server does when its disk is away: try again later
            # (aiosmtpd would answer 500, which the sender takes as a refusal for good: the mail would be lost)
            log.warning("could not store a mail (%s); answered 451", type(exc).__name__)
            return "451 4.3.0 Mail not stored right now, try again later"
        log.info("stored a mail for %d recipient(s)", len(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


async def start_sink(db: Database, host: str, port: int) -> asyncio.AbstractServer:
    handler = StoreMail(db)
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: SMTP(handler, hostname="care-dev-sink"), host=host, port=port)


async def serve_sink() -> None:
    settings = Settings()
    db = Database.from_settings(settings)
    server = await start_sink(db, settings.smtp_host, settings.smtp_port)
    log.info("development SMTP sink on %s:%d", settings.smtp_host, settings.smtp_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    await server.wait_closed()
    await db.dispose()
