"""Who reads which payer's invoice specifications (issue #18), decided from billing's copy of the directory.

A specification's payer is a municipality, named by its directory code (logistics puts the code of the
order's municipality on ``OrderDelivered.payer``); a search may name it by code or by organisation id.
Readers: the payer municipality's controllers (global role ``controller`` and the membership ``controller``
in that municipality: "may reconcile its invoices"), the aid-centre staff of the region above it, admins.
A specification of another payer is not found, as a missing one is; a search naming another payer is a 403
that names it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kit.auth import Principal
from kit.directory import Directory, Organisation
from kit.problems import forbidden

directory = Directory()


@dataclass(frozen=True)
class Payers:
    #: codes of the municipalities whose specifications the caller reads; None: every payer (admins)
    codes: frozenset[str] | None
    by_code: dict[str, Organisation]

    def sees(self, payer: str) -> bool:
        return self.codes is None or payer in self.codes

    def name(self, payer: str) -> str | None:
        found = self.by_code.get(payer)
        return found.name if found else None

    def id(self, payer: str) -> uuid.UUID | None:
        found = self.by_code.get(payer)
        return found.id if found else None


async def payers(session: AsyncSession, principal: Principal) -> Payers:
    municipalities: list[Organisation] = []
    if principal.has("aid_centre_staff"):
        municipalities += await directory.organisations(session, principal.account_id, role="aid_centre_staff", kind="municipality")
    if principal.has("controller"):
        municipalities += await directory.organisations(session, principal.account_id, role="controller", kind="municipality",
                                                        below=False)
    by_code = {m.code: m for m in municipalities}
    if principal.has("admin"):
        return Payers(codes=None, by_code=by_code)
    return Payers(codes=frozenset(by_code), by_code=by_code)


async def payer_code(session: AsyncSession, allowed: Payers, payer: str) -> str:
    """The code of the payer a search names (a code, or the municipality's organisation id); a payer the
    caller does not read is refused with a 403 naming it."""
    code = payer
    try:
        found = await directory.organisation(session, uuid.UUID(payer))
    except ValueError:
        found = None
    if found is not None and found.kind == "municipality":
        code = found.code
    if not allowed.sees(code):
        raise forbidden(f"you do not reconcile the invoices of payer {payer}")
    return code
