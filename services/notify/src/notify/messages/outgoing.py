"""What each event sends, to whom, in which language: one function per event, the single place to look.

Recipients are looked up in the directory by account id (their language chooses the template); SMS login
codes and portal credentials go to the address the gateway gives in the event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Envelope
from contracts.billing.v1 import PaymentRefunded
from contracts.booking.v1 import (
    BookingCancelled,
    BookingConfirmed,
    ClientInvited,
    ConsentAnswered,
    ConsentRequested,
    GroupAppointmentChanged,
    InvitationUsed,
    TherapistApplicationRejected,
    TherapistAuthorised,
)
from contracts.gateway.v1 import (
    LoginCodeRequested,
    PasswordResetRequested,
    RegistrationAttempted,
    TemporaryPasswordIssued,
    VerificationCodeRequested,
)
from kit import context
from notify.messages import formatting, rules
from notify.messages.service import enqueue, recipient

CODE_MINUTES_FALLBACK = 10


def _settings():  # noqa: ANN202
    return context.app_state.get().settings


async def login_code(session: AsyncSession, event: LoginCodeRequested, envelope: Envelope) -> None:
    minutes = max(1, round((event.expires_at - envelope.occurred_at).total_seconds() / 60)) if event.expires_at else CODE_MINUTES_FALLBACK
    await enqueue(session, envelope, channel="sms", template="login_code", language=event.language,
                  to_address=event.phone, recipient_key=str(event.account_id), secret=True,
                  context_values={"code": event.code, "minutes": minutes})


def _minutes(expires_at: datetime, envelope: Envelope) -> int:
    return max(1, round((expires_at - envelope.occurred_at).total_seconds() / 60))


async def password_reset(session: AsyncSession, event: PasswordResetRequested, envelope: Envelope) -> None:
    """The forgotten-password link goes to the address the gateway gives; the link is a secret."""
    await enqueue(session, envelope, channel="email", template="password_reset", language=event.language,
                  to_address=event.email, recipient_key=str(event.account_id), secret=True,
                  context_values={"name": event.display_name, "link": event.link,
                                  "minutes": _minutes(event.expires_at, envelope)})


#: purpose → the template of a verification code (an SMS or an email)
VERIFICATION_TEMPLATES = {"login": "login_code_email", "password_reset": "password_reset_code",
                          "verify_email": "verify_email", "verify_phone": "verify_phone"}


async def verification_code(session: AsyncSession, event: VerificationCodeRequested, envelope: Envelope) -> None:
    """A code to the address being proven (an email or phone just added, or the account's own): secret."""
    await enqueue(session, envelope, channel=event.channel, template=VERIFICATION_TEMPLATES[event.purpose],
                  language=event.language, to_address=event.to_address, recipient_key=str(event.account_id), secret=True,
                  context_values={"name": event.display_name, "code": event.code, "link": event.link or "",
                                  "minutes": _minutes(event.expires_at, envelope)})


async def portal_credentials(session: AsyncSession, event: TemporaryPasswordIssued, envelope: Envelope) -> None:
    template = {"portal": "portal_credentials", "marketplace": "marketplace_credentials", "staff": "staff_credentials"}
    await enqueue(session, envelope, channel="email", template=template[event.purpose], language=event.language,
                  to_address=event.email, recipient_key=str(event.account_id), secret=True,
                  context_values={"name": event.display_name, "username": event.username,
                                  "temporary_password": event.temporary_password,
                                  "login_url": _settings().app_base_url})


async def registration_attempted(session: AsyncSession, event: RegistrationAttempted, envelope: Envelope) -> None:
    """The owner of an account learns that someone tried to register with its details (the one who tried
    was not told the account exists)."""
    owner = await recipient(session, event.account_id)
    await enqueue(session, envelope, channel="email", template="registration_attempted", language=owner.language,
                  to_address=owner.email, recipient_key=str(owner.account_id),
                  context_values={"name": owner.display_name, "login_url": _settings().app_base_url})


async def booking_confirmed(session: AsyncSession, event: BookingConfirmed, envelope: Envelope) -> None:
    client = await recipient(session, event.client_id)
    therapist = await recipient(session, event.therapist_id)
    common = {"length_minutes": formatting.minutes_between(event.starts_at, event.ends_at),
              "when": formatting.when(event.starts_at, event.time_zone)}
    prefix = "booked_by_therapist" if event.booked_by == "therapist" else "booking_confirmed"
    await enqueue(session, envelope, channel="email", template=f"{prefix}_client", language=client.language,
                  to_address=client.email, recipient_key=str(client.account_id),
                  context_values={**common, "name": client.display_name, "therapist_name": therapist.display_name,
                                  "place": formatting.place(client.language, event.video, event.on_site, event.address),
                                  "therapist_note": event.therapist_note,
                                  "price": formatting.money(event.price) if event.price else None})
    await enqueue(session, envelope, channel="email", template=f"{prefix}_therapist", language=therapist.language,
                  to_address=therapist.email, recipient_key=str(therapist.account_id),
                  context_values={**common, "name": therapist.display_name, "client_name": client.display_name,
                                  "place": formatting.place(therapist.language, event.video, event.on_site, event.address)})


async def booking_cancelled(session: AsyncSession, event: BookingCancelled, envelope: Envelope) -> None:
    client = await recipient(session, event.client_id)
    therapist = await recipient(session, event.therapist_id)
    when = formatting.when(event.starts_at, event.time_zone)
    await enqueue(session, envelope, channel="email", template="booking_cancelled_client", language=client.language,
                  to_address=client.email, recipient_key=str(client.account_id),
                  context_values={"name": client.display_name, "therapist_name": therapist.display_name, "when": when,
                                  "cancelled_by": event.cancelled_by, "refund": event.refund})
    await enqueue(session, envelope, channel="email", template="booking_cancelled_therapist", language=therapist.language,
                  to_address=therapist.email, recipient_key=str(therapist.account_id),
                  context_values={"name": therapist.display_name, "client_name": client.display_name, "when": when,
                                  "cancelled_by": event.cancelled_by, "therapist_paid": event.therapist_paid})


async def refund(session: AsyncSession, event: PaymentRefunded, envelope: Envelope) -> None:
    client = await recipient(session, event.client_id)
    await enqueue(session, envelope, channel="email", template="refund", language=client.language,
                  to_address=client.email, recipient_key=str(client.account_id),
                  context_values={"name": client.display_name, "amount": formatting.money(event.amount),
                                  # the session the money was for; an event from before billing sent it names none
                                  "when": formatting.when(event.starts_at or envelope.occurred_at, event.time_zone)})


async def group_notice(session: AsyncSession, event: GroupAppointmentChanged, envelope: Envelope) -> None:
    """GR-3: each patient gets one notice, five minutes after the last change (NT-5). A patient taken off
    the appointment loses a notice still waiting; one already told gets a cancellation."""
    due = rules.group_notice_due(datetime.now(UTC), timedelta(seconds=_settings().group_notice_delay_s), event.starts_at)
    if not event.notifications or due is None:
        return
    for patient_id, removed in [*((p, False) for p in event.patient_ids), *((p, True) for p in event.removed_patient_ids)]:
        patient = await recipient(session, patient_id)
        await enqueue(session, envelope, channel="email", template="group_appointment_notice", language=patient.language,
                      to_address=patient.email, recipient_key=str(patient.account_id), due_at=due,
                      schedule_key=f"group-notice:{event.appointment_id}:{patient_id}", only_if_told=removed,
                      context_values={"name": patient.display_name, "appointment_type": event.appointment_type,
                                      "when": formatting.when(event.starts_at, event.time_zone),
                                      "length_minutes": formatting.minutes_between(event.starts_at, event.ends_at),
                                      "cancelled": event.cancelled or removed})


async def therapist_authorised(session: AsyncSession, event: TherapistAuthorised, envelope: Envelope) -> None:
    therapist = await recipient(session, event.therapist_id)
    await enqueue(session, envelope, channel="email", template="account_authorised", language=therapist.language,
                  to_address=therapist.email, recipient_key=str(therapist.account_id),
                  context_values={"name": therapist.display_name, "login_url": _settings().app_base_url})


async def application_rejected(session: AsyncSession, event: TherapistApplicationRejected, envelope: Envelope) -> None:
    therapist = await recipient(session, event.therapist_id)
    await enqueue(session, envelope, channel="email", template="application_rejected", language=therapist.language,
                  to_address=therapist.email, recipient_key=str(therapist.account_id),
                  context_values={"name": therapist.display_name, "reason": event.reason})


async def invitation(session: AsyncSession, event: ClientInvited, envelope: Envelope) -> None:
    """The invitation (or its reminder) goes to an address, not an account; its link is a secret."""
    therapist = await recipient(session, event.therapist_id)
    await enqueue(session, envelope, channel="email", template="invitation_reminder" if event.reminder else "invitation",
                  language=event.language, to_address=event.email, recipient_key=event.email, secret=True,
                  context_values={"therapist_name": therapist.display_name, "link": event.link,
                                  "expires": f"{event.expires_at:%Y-%m-%d}"})


async def invitation_used(session: AsyncSession, event: InvitationUsed, envelope: Envelope) -> None:
    therapist = await recipient(session, event.therapist_id)
    client = await recipient(session, event.client_id)
    await enqueue(session, envelope, channel="email", template="invitation_used", language=therapist.language,
                  to_address=therapist.email, recipient_key=str(therapist.account_id),
                  context_values={"name": therapist.display_name, "client_name": client.display_name})


async def consent_requested(session: AsyncSession, event: ConsentRequested, envelope: Envelope) -> None:
    """JR-2: the client gets the request with the answer link; the therapist a confirmation."""
    client = await recipient(session, event.client_id)
    therapist = await recipient(session, event.therapist_id)
    await enqueue(session, envelope, channel="email", template="consent_request", language=client.language,
                  to_address=client.email, recipient_key=str(client.account_id), secret=True,
                  context_values={"name": client.display_name, "therapist_name": therapist.display_name, "link": event.link})
    await enqueue(session, envelope, channel="email", template="consent_request_sent", language=therapist.language,
                  to_address=therapist.email, recipient_key=str(therapist.account_id),
                  context_values={"name": therapist.display_name, "client_name": client.display_name})


async def consent_answered(session: AsyncSession, event: ConsentAnswered, envelope: Envelope) -> None:
    client = await recipient(session, event.client_id)
    therapist = await recipient(session, event.therapist_id)
    await enqueue(session, envelope, channel="email", template="consent_answer", language=therapist.language,
                  to_address=therapist.email, recipient_key=str(therapist.account_id),
                  context_values={"name": therapist.display_name, "client_name": client.display_name, "approved": event.approved})
