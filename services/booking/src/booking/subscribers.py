"""Booking's event handlers: parse a contract, call a use case, nothing else."""

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from booking.bookings import service as bookings
from booking.clients import service as clients
from booking.clients.models import Person
from contracts import Envelope
from contracts.billing.v1 import PaymentCaptured
from contracts.gateway.v1 import AccountCreated, ContactDetailsChanged
from kit.bus import Consumers
from kit.directory import Directory

consumers = Consumers()
directory = Directory()
directory.subscribe(consumers)  # the clinics and who practises in which (kit.directory)


@consumers.on(AccountCreated, queue="accounts")
async def client_account_created(session: AsyncSession, event: AccountCreated, envelope: Envelope) -> None:
    await clients.account_created(session, event.account_id, event.roles, event.created_by, event.invitation_id)


@consumers.on(ContactDetailsChanged, queue="accounts")
async def remember_contact_details(session: AsyncSession, event: ContactDetailsChanged, envelope: Envelope) -> None:
    values = {"display_name": event.display_name, "email": event.email, "phone": event.phone}
    await session.execute(insert(Person).values(account_id=event.account_id, **values)
                          .on_conflict_do_update(index_elements=["account_id"], set_=values))


@consumers.on(PaymentCaptured, queue="payments")
async def confirm_paid_booking(session: AsyncSession, event: PaymentCaptured, envelope: Envelope) -> None:
    await bookings.confirm_paid(session, event.booking_id)
