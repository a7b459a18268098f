"""Notify's event handlers: parse a contract, call the use case that says what it sends."""

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
    ContactDetailsChanged,
    LoginCodeRequested,
    PasswordResetRequested,
    RegistrationAttempted,
    TemporaryPasswordIssued,
    VerificationCodeRequested,
)
from kit.bus import Consumers
from notify.messages import outgoing
from notify.messages.service import remember

consumers = Consumers()


@consumers.on(ContactDetailsChanged, queue="directory")
async def remember_contact_details(session: AsyncSession, event: ContactDetailsChanged, envelope: Envelope) -> None:
    await remember(session, event.account_id, event.display_name, event.email, event.phone, event.language)


# Login codes have their own queue, so a backlog of emails never delays a code (GW-3: within a second).
@consumers.on(LoginCodeRequested, queue="codes")
async def send_login_code(session: AsyncSession, event: LoginCodeRequested, envelope: Envelope) -> None:
    await outgoing.login_code(session, event, envelope)


@consumers.on(VerificationCodeRequested, queue="codes")
async def send_verification_code(session: AsyncSession, event: VerificationCodeRequested, envelope: Envelope) -> None:
    await outgoing.verification_code(session, event, envelope)


@consumers.on(PasswordResetRequested, queue="codes")
async def send_password_reset(session: AsyncSession, event: PasswordResetRequested, envelope: Envelope) -> None:
    await outgoing.password_reset(session, event, envelope)


@consumers.on(TemporaryPasswordIssued, queue="messages")
async def send_portal_credentials(session: AsyncSession, event: TemporaryPasswordIssued, envelope: Envelope) -> None:
    await outgoing.portal_credentials(session, event, envelope)


@consumers.on(RegistrationAttempted, queue="messages")
async def send_registration_attempted(session: AsyncSession, event: RegistrationAttempted, envelope: Envelope) -> None:
    await outgoing.registration_attempted(session, event, envelope)


@consumers.on(BookingConfirmed, queue="messages")
async def send_booking_confirmations(session: AsyncSession, event: BookingConfirmed, envelope: Envelope) -> None:
    await outgoing.booking_confirmed(session, event, envelope)


@consumers.on(BookingCancelled, queue="messages")
async def send_cancellations(session: AsyncSession, event: BookingCancelled, envelope: Envelope) -> None:
    await outgoing.booking_cancelled(session, event, envelope)


@consumers.on(PaymentRefunded, queue="messages")
async def send_refund_notice(session: AsyncSession, event: PaymentRefunded, envelope: Envelope) -> None:
    await outgoing.refund(session, event, envelope)


@consumers.on(GroupAppointmentChanged, queue="messages")
async def schedule_group_notices(session: AsyncSession, event: GroupAppointmentChanged, envelope: Envelope) -> None:
    await outgoing.group_notice(session, event, envelope)


@consumers.on(TherapistAuthorised, queue="messages")
async def send_authorised(session: AsyncSession, event: TherapistAuthorised, envelope: Envelope) -> None:
    await outgoing.therapist_authorised(session, event, envelope)


@consumers.on(TherapistApplicationRejected, queue="messages")
async def send_rejected(session: AsyncSession, event: TherapistApplicationRejected, envelope: Envelope) -> None:
    await outgoing.application_rejected(session, event, envelope)


@consumers.on(ClientInvited, queue="messages")
async def send_invitation(session: AsyncSession, event: ClientInvited, envelope: Envelope) -> None:
    await outgoing.invitation(session, event, envelope)


@consumers.on(InvitationUsed, queue="messages")
async def send_invitation_used(session: AsyncSession, event: InvitationUsed, envelope: Envelope) -> None:
    await outgoing.invitation_used(session, event, envelope)


@consumers.on(ConsentRequested, queue="messages")
async def send_consent_request(session: AsyncSession, event: ConsentRequested, envelope: Envelope) -> None:
    await outgoing.consent_requested(session, event, envelope)


@consumers.on(ConsentAnswered, queue="messages")
async def send_consent_answer(session: AsyncSession, event: ConsentAnswered, envelope: Envelope) -> None:
    await outgoing.consent_answered(session, event, envelope)
