"""The gateway's event handlers: parse a contract, call a use case, nothing else."""

from sqlalchemy.ext.asyncio import AsyncSession

from contracts import Envelope
from contracts.booking.v1 import InvitationAccepted, TherapistApplicationRejected, TherapistAuthorised
from gateway.directory import service as directory
from gateway.identity import service
from kit import context
from kit.bus import Consumers

consumers = Consumers()


@consumers.on(InvitationAccepted, queue="invitations")
async def create_invited_account(session: AsyncSession, event: InvitationAccepted, envelope: Envelope) -> None:
    await service.account_from_invitation(session, context.app_state.get().settings, event.invitation_id,
                                          event.therapist_id, event.email, event.display_name, event.language)


@consumers.on(TherapistAuthorised, queue="therapists")
async def therapist_authorised(session: AsyncSession, event: TherapistAuthorised, envelope: Envelope) -> None:
    """An authorised therapist may make client accounts (BK-12)."""
    await directory.therapist_reviewed(session, event.therapist_id, authorised=True)


@consumers.on(TherapistApplicationRejected, queue="therapists")
async def therapist_rejected(session: AsyncSession, event: TherapistApplicationRejected, envelope: Envelope) -> None:
    await directory.therapist_reviewed(session, event.therapist_id, authorised=False)
