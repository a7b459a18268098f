"""Billing's event handlers: parse a contract, call a use case, nothing else."""

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from billing.cards import service as cards
from billing.models import Person, TherapistAccount
from billing.payments import service
from billing.specifications import service as specifications
from contracts import Envelope
from contracts.booking.v1 import (
    BookingCancelled,
    BookingHoldExpired,
    BookingRequested,
    GroupSessionClosed,
    TherapistPayoutDetailsChanged,
)
from contracts.gateway.v1 import ContactDetailsChanged
from contracts.logistics.v1 import IndividualStatusChanged, OrderDelivered
from kit import context
from kit.bus import Consumers
from kit.directory import Directory

consumers = Consumers()
Directory().subscribe(consumers, queue="organisations")  # who reads which payer's specifications (specifications.access)


def _provider():  # noqa: ANN202
    return context.app_state.get().provider


@consumers.on(BookingRequested, queue="payments")
async def create_payment(session: AsyncSession, event: BookingRequested, envelope: Envelope) -> None:
    await service.create_for_booking(session, _provider(), event)


@consumers.on(BookingHoldExpired, queue="payments")
async def void_payment(session: AsyncSession, event: BookingHoldExpired, envelope: Envelope) -> None:
    await service.void_for_expired_hold(session, _provider(), event)


@consumers.on(BookingCancelled, queue="payments")
async def settle_cancellation(session: AsyncSession, event: BookingCancelled, envelope: Envelope) -> None:
    await service.settle_cancellation(session, _provider(), event)


@consumers.on(GroupSessionClosed, queue="billing-cards")
async def open_billing_cards(session: AsyncSession, event: GroupSessionClosed, envelope: Envelope) -> None:
    await cards.open_cards(session, event)


@consumers.on(OrderDelivered, queue="invoicing")
async def specify_delivery(session: AsyncSession, event: OrderDelivered, envelope: Envelope) -> None:
    await specifications.record_delivery(session, event, envelope, context.app_state.get().settings.rent_months)


@consumers.on(IndividualStatusChanged, queue="invoicing")
async def end_rental(session: AsyncSession, event: IndividualStatusChanged, envelope: Envelope) -> None:
    await specifications.end_rental(session, event.individual_number, event.status, envelope.occurred_at.date())


@consumers.on(TherapistPayoutDetailsChanged, queue="directory")
async def remember_bank_account(session: AsyncSession, event: TherapistPayoutDetailsChanged, envelope: Envelope) -> None:
    await session.execute(
        insert(TherapistAccount)
        .values(therapist_id=event.therapist_id, bank_account=event.bank_account)
        .on_conflict_do_update(index_elements=["therapist_id"], set_={"bank_account": event.bank_account})
    )


@consumers.on(ContactDetailsChanged, queue="directory")
async def remember_name(session: AsyncSession, event: ContactDetailsChanged, envelope: Envelope) -> None:
    await session.execute(
        insert(Person)
        .values(account_id=event.account_id, display_name=event.display_name)
        .on_conflict_do_update(index_elements=["account_id"], set_={"display_name": event.display_name})
    )
