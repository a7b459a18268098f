"""Invented demo accounts for development (`python -m gateway seed`, run by `make run`; idempotent).

Nobody real: names are invented, the personal number is Skatteverket's well-known test number, the
HSA-ID uses a test organisation number, phone numbers are in the +4670000 test range.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from contracts.gateway.v1 import AccountCreated, ContactDetailsChanged
from contracts.identity import mask
from gateway.identity import rules
from gateway.identity.models import Account, Representation
from gateway.identity.service import hash_password
from gateway.settings import Settings
from kit import outbox
from kit.db import Database

DEMO_PASSWORD = "Demo-Password-2026"
ACCOUNTS = [
    # username, display name, roles, extra
    ("demo.admin", "Demo Admin", ["admin"], {"email": "demo.admin@example.org"}),
    ("demo.therapist", "Demo Terapeut", ["therapist"], {"email": "demo.therapist@example.org", "personal_number": "191212121212"}),
    ("demo.client", "Demo Cliënt", ["client"], {"email": "demo.client@example.org", "phone": "+46700000001", "language": "nl"}),
    ("demo.client2", "Demo Cliënt Twee", ["client"], {"email": "demo.client2@example.org", "phone": "+46700000002", "language": "nl"}),
    ("demo.representative", "Demo Vertegenwoordiger", ["representative"],
     {"email": "demo.rep@example.org", "phone": "+46700000003", "language": "nl", "represents": ["demo.client", "demo.client2"]}),
    ("demo.coordinator", "Demo Coördinator", ["care_coordinator"], {"email": "demo.coordinator@example.org", "phone": "+46700000004"}),
    ("demo.prescriber", "Demo Förskrivare", ["prescriber"], {"hsa_id": "SE2321000016-DEMO1"}),
    ("demo.aidcentre", "Demo Hjälpmedelscentral", ["aid_centre_staff"], {"hsa_id": "SE2321000016-DEMO2"}),
]


async def seed() -> None:
    settings = Settings()
    db = Database.from_settings(settings)
    password_hash = await hash_password(DEMO_PASSWORD)
    made = {}
    async with db.transaction() as session:
        for username, name, roles, extra in ACCOUNTS:
            existing = (await session.execute(select(Account).where(Account.username == username))).scalar_one_or_none()
            if existing:
                made[username] = existing
                continue
            number = extra.get("personal_number")
            account = Account(
                id=uuid.uuid4(), display_name=name, roles=roles, username=username, email=extra.get("email"),
                phone=extra.get("phone"), language=extra.get("language", "sv"), password_hash=password_hash,
                hsa_id=extra.get("hsa_id"), terms_version=settings.terms_version, terms_accepted_at=datetime.now(UTC),
                personal_number_hmac=rules.identity_hmac(settings.identity_hmac_key.get_secret_value(), number) if number else None,
                personal_number_masked=mask(number) if number else None,
            )
            session.add(account)
            await session.flush()
            made[username] = account
            await outbox.add(session, ContactDetailsChanged(account_id=account.id, display_name=name, email=account.email,
                                                            phone=account.phone, language=account.language))  # type: ignore[arg-type]
            await outbox.add(session, AccountCreated(account_id=account.id, roles=roles, display_name=name,
                                                     has_personal_number=number is not None))
        for username, _, _, extra in ACCOUNTS:
            for client in extra.get("represents", []):
                link = await session.get(Representation, (made[username].id, made[client].id))
                if link is None:
                    session.add(Representation(representative_id=made[username].id, client_id=made[client].id))
    await db.dispose()
    print(f"demo accounts ready ({len(ACCOUNTS)}); password for all: {DEMO_PASSWORD}")


if __name__ == "__main__":
    asyncio.run(seed())
