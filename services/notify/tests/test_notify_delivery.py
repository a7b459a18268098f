"""Events in, emails and SMS out: with real RabbitMQ, PostgreSQL and an SMTP sink on a real port."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from contracts.booking.v1 import BookingConfirmed, GroupAppointmentChanged
from contracts.gateway.v1 import (
    ContactDetailsChanged,
    LoginCodeRequested,
    RegistrationAttempted,
    TemporaryPasswordIssued,
)
from contracts.money import Money
from kit.db import Database
from kit.testing import fetch, free_port, probe, publish, running_service, wait_for
from kit.testing.tokens import TokenIssuer
from notify.app import build
from notify.delivery import REDACTED
from notify.settings import Settings
from notify.sink import start_sink

ISSUER = TokenIssuer()
NOTICE_DELAY_S = 1.5


@pytest.fixture(scope="module")
async def notify(test_env):
    settings = test_env.settings(Settings, smtp_port=free_port(), group_notice_delay_s=NOTICE_DELAY_S,
                                 sender_poll_interval_s=0.1, jwt_public_key=ISSUER.public_pem)
    async with running_service(build(settings), test_env) as svc:
        db = Database(settings.database_url, pool_size=2)
        svc.sink = await start_sink(db, "127.0.0.1", settings.smtp_port)
        svc.sink_db = db
        yield svc
        svc.sink.close()
        await db.dispose()


async def person(test_env, name: str, language: str, email: str | None = None, phone: str | None = None) -> uuid.UUID:
    account = uuid.uuid4()
    await publish(test_env, ContactDetailsChanged(account_id=account, display_name=name, language=language,
                                                  email=email or f"{account.hex[:10]}@example.org", phone=phone))
    return account


async def mails_to(notify, address: str, count: int = 1) -> list[dict]:
    async def check():
        mails = (await notify.client.get("/dev/mail", params={"to": address})).json()
        return mails if len(mails) >= count else None

    return await wait_for(check, timeout=20, what=f"{count} mail(s) to {address}")


async def known(notify, account: uuid.UUID) -> bool:
    return bool(await fetch(notify.settings, "SELECT 1 FROM recipients WHERE account_id = $1", account))


def confirmed(client, therapist, **extra) -> BookingConfirmed:
    start = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)
    return BookingConfirmed(booking_id=uuid.uuid4(), therapist_id=therapist, client_id=client, starts_at=start,
                            ends_at=start + timedelta(minutes=45), video=False, on_site=True,
                            address="Testgatan 1, Stockholm", therapist_note="Door code 1234.",
                            price=Money(amount_minor=95000, currency="SEK"), **extra)


async def test_a_confirmation_is_one_email_each_in_their_language_and_a_duplicate_sends_none(notify, test_env):
    client = await person(test_env, "Test Klient", "nb", email="klient.nb@example.org")
    therapist = await person(test_env, "Test Terapeut", "sv", email="terapeut.sv@example.org")
    await wait_for(lambda: known(notify, therapist), what="the directory")
    event = confirmed(client, therapist)
    envelope = await publish(test_env, event)
    await publish(test_env, event, event_id=envelope.event_id)  # the same event delivered again

    (to_client,) = await mails_to(notify, "klient.nb@example.org")
    assert to_client["subject"] == "Timebekreftelse: 2026-12-03 09:00 (CET)"
    assert "Test Terapeut" in to_client["body"] and "Testgatan 1, Stockholm" in to_client["body"]
    assert "Door code 1234." in to_client["body"] and "950,00 SEK" in to_client["body"]
    assert "24 timer" in to_client["body"]  # the cancellation rules
    (to_therapist,) = await mails_to(notify, "terapeut.sv@example.org")
    assert to_therapist["subject"] == "Ny bokning: 2026-12-03 09:00 (CET)"
    assert "Door code" not in to_therapist["body"]

    await wait_for(lambda: _inbox_count(notify, envelope.event_id), what="the duplicate to be seen")
    assert len(await mails_to(notify, "klient.nb@example.org")) == 1
    rows = await fetch(notify.settings, "SELECT count(*) AS n FROM messages WHERE source_event_id = $1", envelope.event_id)
    assert rows[0]["n"] == 2


async def _inbox_count(notify, event_id) -> bool:
    rows = await fetch(notify.settings, "SELECT count(*) AS n FROM messages WHERE source_event_id = $1 AND status = 'sent'", event_id)
    return rows[0]["n"] == 2


async def test_the_owner_hears_of_a_registration_with_their_details_in_their_language(notify, test_env):
    owner = await person(test_env, "Test Eigenaar", "nl", email="eigenaar.nl@example.org")
    await wait_for(lambda: known(notify, owner), what="the directory")
    await publish(test_env, RegistrationAttempted(account_id=owner, language="nl"))
    (mail,) = await mails_to(notify, "eigenaar.nl@example.org")
    assert mail["subject"] == "Iemand probeerde zich met uw gegevens te registreren"
    assert "Beste Test Eigenaar" in mail["body"] and "geen nieuw account" in mail["body"]


async def test_login_code_sms_goes_out_within_a_second_and_is_not_kept(notify, test_env):
    account = uuid.uuid4()
    started = time.monotonic()
    envelope = await publish(test_env, LoginCodeRequested(attempt_id=uuid.uuid4(), account_id=account, phone="+46700000123",
                                                          language="sv", code="482913",
                                                          expires_at=datetime.now(UTC) + timedelta(minutes=10)))

    async def arrived():
        return (await notify.client.get("/dev/sms", params={"to": "+46700000123"})).json()

    (sms,) = await wait_for(arrived, timeout=5, interval=0.02, what="the SMS")
    assert time.monotonic() - started < 1.0
    assert sms["body"] == "482913 är din inloggningskod. Den gäller i 10 minuter. Dela den aldrig."
    assert sms["to"] == "+46700000123" and sms["sender"] and sms["received_at"]

    async def redacted():
        rows = await fetch(notify.settings, "SELECT body, status FROM messages WHERE source_event_id = $1", envelope.event_id)
        return rows and rows[0]["status"] == "sent" and rows[0]

    row = await wait_for(redacted, what="the message to be logged as sent")
    assert row["body"] == REDACTED and "482913" not in row["body"]


async def test_smtp_down_is_retried_and_delivered_when_it_comes_back(notify, test_env):
    address = "back.later@example.org"
    notify.sink.close()
    await notify.sink.wait_closed()
    envelope = await publish(test_env, TemporaryPasswordIssued(account_id=uuid.uuid4(), display_name="Test Portal",
                                                               username="test.portal", temporary_password="Tmp-1234-abcd",
                                                               email=address, language="nl"))

    async def failed_once():
        rows = await fetch(notify.settings, "SELECT status, attempts, last_error FROM messages WHERE source_event_id = $1",
                           envelope.event_id)
        return rows and rows[0]["attempts"] >= 1 and rows[0]

    row = await wait_for(failed_once, timeout=15, what="a failed attempt")
    assert row["status"] == "queued" and row["last_error"].startswith("temporary")
    notify.sink = await start_sink(notify.sink_db, "127.0.0.1", notify.settings.smtp_port)
    (mail,) = await mails_to(notify, address)
    assert mail["subject"] == "Je account voor het cliëntportaal"
    assert mail["to"] == address and "no-reply@" in mail["sender"] and mail["received_at"]  # the fields /dev/sms has
    assert "Tmp-1234-abcd" in mail["body"] and "test.portal" in mail["body"]


async def test_group_notice_edited_twice_in_the_window_is_sent_once_with_the_latest_content(notify, test_env):
    patient = await person(test_env, "Test Pasient", "nb", email="pasient.gruppe@example.org")
    await wait_for(lambda: known(notify, patient), what="the directory")
    appointment = uuid.uuid4()
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=9)
    for kind in ("Mestringsgruppe", "Mestringsgruppe (flyttet)", "Mestringsgruppe, rom 2"):
        await publish(test_env, GroupAppointmentChanged(appointment_id=appointment, practitioner_id=uuid.uuid4(),
                                                        patient_ids=[patient], appointment_type=kind, starts_at=start,
                                                        ends_at=start + timedelta(minutes=90)))
    (mail,) = await mails_to(notify, "pasient.gruppe@example.org")
    assert "Mestringsgruppe, rom 2" in mail["subject"] and "(flyttet)" not in mail["body"]
    rows = await fetch(notify.settings, "SELECT status FROM messages WHERE recipient = $1 ORDER BY created_at", str(patient))
    assert [r["status"] for r in rows] == ["replaced", "replaced", "sent"]


async def test_invalid_address_is_a_permanent_failure_in_the_log(notify, test_env):
    client = await person(test_env, "Test Fel", "en", email="not-an-address")
    therapist = await person(test_env, "Test Terapeut", "en", email="ok.therapist@example.org")
    await wait_for(lambda: known(notify, therapist), what="the directory")
    envelope = await publish(test_env, confirmed(client, therapist))
    await mails_to(notify, "ok.therapist@example.org")
    rows = await fetch(notify.settings, "SELECT status, last_error FROM messages WHERE source_event_id = $1 AND recipient = $2",
                       envelope.event_id, str(client))
    assert rows[0]["status"] == "failed" and rows[0]["last_error"] == "permanent: invalid email address"
    log = await notify.client.get("/deliveries", params={"status": "failed"}, headers=ISSUER.headers(uuid.uuid4(), "admin"))
    assert any(d["source_event_id"] == str(envelope.event_id) for d in log.json())
    assert (await notify.client.get("/deliveries", headers=ISSUER.headers(uuid.uuid4(), "client"))).status_code == 403


async def test_missing_contact_details_reach_the_dead_letter_queue_with_a_reason(notify, test_env):
    dlq = f"{notify.settings.queue_name('messages')}.dlq"
    async with probe(test_env, queue=dlq) as dead:
        envelope = await publish(test_env, confirmed(uuid.uuid4(), uuid.uuid4()))
        message = await dead.next(timeout=30)
    assert message.message_id == str(envelope.event_id)
    assert "no contact details for account" in message.headers["x-dead-letter-reason"]


async def test_no_group_notice_for_an_appointment_already_over(notify, test_env):
    patient = await person(test_env, "Test Pasient Etterpå", "nb", email="pasient.etterpa@example.org")
    await wait_for(lambda: known(notify, patient), what="the directory")
    over = datetime.now(UTC) - timedelta(hours=3)
    envelope = await publish(test_env, GroupAppointmentChanged(
        appointment_id=uuid.uuid4(), practitioner_id=uuid.uuid4(), patient_ids=[patient], appointment_type="Gruppe i går",
        starts_at=over, ends_at=over + timedelta(minutes=90)))

    async def handled() -> bool:
        return bool(await fetch(notify.settings, "SELECT 1 FROM inbox WHERE event_id = $1", envelope.event_id))

    await wait_for(handled, what="the change to be handled")
    assert await fetch(notify.settings, "SELECT 1 FROM messages WHERE recipient = $1", str(patient)) == []


async def test_a_mail_sent_just_before_the_database_goes_away_is_not_sent_again(notify, test_env):
    """The round's transaction dies after the SMTP send (PostgreSQL restarted, found by `make chaos`): the
    message is still recorded as sent, so the next round does not send it a second time."""
    import asyncpg

    from kit.db import plain_dsn

    address = "sent.once@example.org"
    mailer = notify.app.state.mailer

    class CutAfterSending:
        """The real SMTP adapter; after the send the round's database connection is terminated."""

        async def send(self, **mail):
            reference = await mailer.send(**mail)
            if mail["to"] == address:
                conn = await asyncpg.connect(plain_dsn(notify.settings.database_url))
                try:
                    await conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                       "WHERE datname = current_database() AND state = 'idle in transaction'")
                finally:
                    await conn.close()
            return reference

    notify.app.state.mailer = CutAfterSending()
    try:
        envelope = await publish(test_env, TemporaryPasswordIssued(
            account_id=uuid.uuid4(), display_name="Test Portal", username="sent.once", temporary_password="Tmp-5678-efgh",
            email=address, language="en"))

        async def sent():
            rows = await fetch(notify.settings, "SELECT status, attempts FROM messages WHERE source_event_id = $1",
                               envelope.event_id)
            return rows and rows[0]["status"] == "sent" and rows[0]

        row = await wait_for(sent, timeout=20, what="the message recorded as sent")
        await mails_to(notify, address)
        for _ in range(5):  # a few more rounds of the sender: nothing goes out again
            notify.app.state.wake_sender.set()
            await asyncio.sleep(0.2)
    finally:
        notify.app.state.mailer = mailer
    assert row["attempts"] == 1
    assert len((await notify.client.get("/dev/mail", params={"to": address})).json()) == 1
