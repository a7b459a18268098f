"""The demo cast of kit.demo made real (`python -m gateway seed`, run by `make run`; idempotent): every
organisation and every person with exactly kit.demo's ids, their memberships and representations, the
authorised marketplace therapists, and the events that tell the other services (OrganisationSaved,
MembershipGranted, AccountCreated, ContactDetailsChanged) through the outbox.

Nobody real (see kit.demo). Each person signs in the way kit.demo says: a password (kit.demo.PASSWORD) with
the SMS code, email and password, BankID with the test number, or SITHS with the development certificate
``python -m gateway devca`` issues. Terms are accepted and the password is not temporary, so a sign-in goes
straight in. An account of an earlier seed that holds a demo username under another id gives the username
up (it is renamed ``<username>.replaced-<id>``), so every service agrees on the ids. Prints no secret.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.gateway.v1 import AccountCreated, ContactDetailsChanged, MembershipGranted, OrganisationSaved
from contracts.identity import mask
from gateway.directory.models import Membership, Organisation
from gateway.directory.service import therapist_reviewed
from gateway.identity import rules
from gateway.identity.models import Account, Representation
from gateway.identity.service import hash_password
from gateway.settings import Settings
from kit import demo, outbox
from kit.db import Database

#: The published demo password (kit.demo), which no one can choose (identity.rules.PUBLISHED_PASSWORDS)
DEMO_PASSWORD = demo.PASSWORD


def _marketplace_therapist(person: demo.DemoPerson) -> bool:
    """Therapists without a clinic: authorised on the marketplace (booking's seed gives them profiles)."""
    return "therapist" in person.roles and not any(role == "practitioner" for _, role in person.memberships)


async def _organisations(session: AsyncSession) -> int:
    made = 0
    for item in demo.ORGANISATIONS:  # parents come first in kit.demo
        values = {"kind": item.kind, "parent_id": item.parent_id, "code": item.code, "name": item.name,
                  "time_zone": item.time_zone, "active": True}
        existing = await session.get(Organisation, item.id)
        if existing is not None and all(getattr(existing, k) == v for k, v in values.items()):
            continue
        await session.execute(insert(Organisation).values(id=item.id, **values)
                              .on_conflict_do_update(index_elements=[Organisation.id], set_=values))
        await outbox.add(session, OrganisationSaved(organisation_id=item.id, **values))
        made += 1
    return made


async def _free(session: AsyncSession, person: demo.DemoPerson, pn_hmac: str | None) -> None:
    """An account of an earlier seed under another id gives up the demo username, email, HSA-ID, number."""
    columns = ((Account.username, person.username), (Account.email, person.email), (Account.hsa_id, person.hsa_id),
               (Account.personal_number_hmac, pn_hmac))
    taken = (await session.execute(select(Account).where(
        Account.id != person.id, or_(*(column == value for column, value in columns if value))))).scalars().all()
    for old in taken:
        old.username = f"{person.username}.replaced-{str(old.id)[:8]}"
        if person.email and old.email == person.email:
            old.email = None
        if person.hsa_id and old.hsa_id == person.hsa_id:
            old.hsa_id = None
        if pn_hmac and old.personal_number_hmac == pn_hmac:
            old.personal_number_hmac = old.personal_number_masked = None
    await session.flush()


async def _people(session: AsyncSession, settings: Settings, password_hash: str) -> int:
    made = 0
    key = settings.identity_hmac_key.get_secret_value()
    for person in demo.PEOPLE:
        number = person.personal_number
        pn_hmac = rules.identity_hmac(key, number) if number else None
        if (existing := await session.get(Account, person.id)) is not None:
            made += await _update(session, existing, person)
            continue
        await _free(session, person, pn_hmac)
        account = Account(
            id=person.id, display_name=person.display_name, roles=list(person.roles), username=person.username,
            email=person.email, phone=person.phone, language=person.language, password_hash=password_hash,
            hsa_id=person.hsa_id, terms_version=settings.terms_version, terms_accepted_at=datetime.now(UTC),
            personal_number_hmac=pn_hmac, personal_number_masked=mask(number) if number else None)
        session.add(account)
        await session.flush()
        await outbox.add(session, ContactDetailsChanged(account_id=account.id, display_name=account.display_name,
                                                        email=account.email, phone=account.phone,
                                                        language=account.language))  # type: ignore[arg-type]
        await outbox.add(session, AccountCreated(account_id=account.id, roles=list(person.roles),
                                                 display_name=person.display_name, has_personal_number=number is not None))
        made += 1
    return made


async def _update(session: AsyncSession, account: Account, person: demo.DemoPerson) -> int:
    """kit.demo changed a person (a phone added, another role): the account follows, and notify hears of it."""
    wanted = {"display_name": person.display_name, "email": person.email, "phone": person.phone,
              "language": person.language, "roles": list(person.roles), "hsa_id": person.hsa_id}
    if all(getattr(account, k) == v for k, v in wanted.items()):
        return 0
    await _free(session, person, None)
    for k, v in wanted.items():
        setattr(account, k, v)
    await session.flush()
    await outbox.add(session, ContactDetailsChanged(account_id=account.id, display_name=account.display_name,
                                                    email=account.email, phone=account.phone,
                                                    language=account.language))  # type: ignore[arg-type]
    return 1


async def _memberships(session: AsyncSession) -> int:
    made = 0
    for person in demo.PEOPLE:
        for key, role in person.memberships:
            organisation_id = demo.demo_id(key)
            if await session.get(Membership, (person.id, organisation_id, role)) is not None:
                continue
            session.add(Membership(account_id=person.id, organisation_id=organisation_id, role=role))
            await outbox.add(session, MembershipGranted(account_id=person.id, organisation_id=organisation_id,
                                                        role=role))  # type: ignore[arg-type]
            made += 1
        for client in person.represents:
            await session.execute(insert(Representation).values(representative_id=person.id,
                                                                client_id=demo.demo_id(client)).on_conflict_do_nothing())
        if _marketplace_therapist(person):
            await therapist_reviewed(session, person.id, authorised=True)
    await session.flush()
    return made


async def seed_demo(session: AsyncSession, settings: Settings) -> tuple[int, int, int]:
    """Make what is missing of kit.demo's cast; returns (organisations, people, memberships) made or changed."""
    organisations = await _organisations(session)
    people = await _people(session, settings, await hash_password(demo.PASSWORD))
    memberships = await _memberships(session)
    return organisations, people, memberships


async def seed() -> None:
    settings = Settings()
    db = Database.from_settings(settings)
    try:
        async with db.transaction() as session:
            organisations, people, memberships = await seed_demo(session, settings)
    finally:
        await db.dispose()
    print(f"demo directory ready: {len(demo.ORGANISATIONS)} organisations, {len(demo.PEOPLE)} people "
          f"({organisations} organisations, {people} accounts, {memberships} memberships new or changed); "
          "make run's table says whom to sign in as")


if __name__ == "__main__":
    asyncio.run(seed())

