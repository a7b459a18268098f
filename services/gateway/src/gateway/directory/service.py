"""Directory use cases (issue #18): organisations, memberships and representations, each change published
(OrganisationSaved, MembershipGranted, MembershipRevoked) through the outbox in the change's transaction.

Who may do what: admins anything; aid-centre staff (a membership in their region or aid centre) create and
change service units and buffer stores under the region's municipalities and grant prescriber, store_keeper
and controller there; care coordinators grant client and representative memberships, and link
representatives to clients, in their own care organisation. Authorisation comes first: an organisation of
someone else and one that does not exist get the same 403 that names the id; an unknown account is a 404
only once the caller may act in the organisation. Identity (accounts made in an organisation, act-for) asks
here through ``check_creation``, ``place_account`` and ``sharing_care_organisation``."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, and_, delete, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from contracts.gateway.v1 import MembershipGranted, MembershipRevoked, OrganisationSaved
from gateway.directory import rules
from gateway.directory.models import Membership, Organisation, TherapistReview
from gateway.identity.models import Account, Representation
from kit import outbox
from kit.auth import Principal
from kit.pagination import Paging
from kit.problems import Problem, conflict, invalid, not_found


def outside(organisation_id: uuid.UUID, detail: str) -> Problem:
    """The 403 of a grant, link or write that crosses organisations: it says which one."""
    return Problem(403, "outside-your-organisations", detail, organisation_id=str(organisation_id))


# -- the tree ------------------------------------------------------------------------------------------------
def _above(organisation_id: uuid.UUID):  # noqa: ANN202 (a SQLAlchemy CTE)
    """The organisation and every one above it."""
    start = select(Organisation.id, Organisation.parent_id).where(Organisation.id == organisation_id)
    up = start.cte("above", recursive=True)
    parent = aliased(Organisation)
    return up.union_all(select(parent.id, parent.parent_id).where(parent.id == up.c.parent_id))


async def holds(session: AsyncSession, account_id: uuid.UUID, roles: str | Iterable[str],
                organisation_id: uuid.UUID) -> bool:
    """Whether the account holds one of ``roles`` in this organisation or in one above it (False for an
    organisation that does not exist)."""
    wanted = [roles] if isinstance(roles, str) else list(roles)
    above = _above(organisation_id)
    found = await session.execute(
        select(literal(1)).select_from(Membership)
        .where(Membership.account_id == account_id, Membership.role.in_(wanted),
               Membership.organisation_id.in_(select(above.c.id))).limit(1))
    return found.first() is not None


def _reachable(account_id: uuid.UUID) -> Select:
    """The ids of the organisations where the account holds any role, and of every one below them."""
    held = select(Membership.organisation_id).where(Membership.account_id == account_id)
    tree = select(Organisation.id).where(Organisation.id.in_(held)).cte("reachable", recursive=True)
    child = aliased(Organisation)
    tree = tree.union_all(select(child.id).where(child.parent_id == tree.c.id))
    return select(tree.c.id)


def _admin(principal: Principal) -> bool:
    return principal.has("admin")


async def _organisation(session: AsyncSession, organisation_id: uuid.UUID) -> Organisation:
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise not_found("organisation", organisation_id)
    return organisation


async def _publish_organisation(session: AsyncSession, organisation: Organisation) -> None:
    await outbox.add(session, OrganisationSaved(
        organisation_id=organisation.id, kind=organisation.kind, parent_id=organisation.parent_id,  # type: ignore[arg-type]
        code=organisation.code, name=organisation.name, time_zone=organisation.time_zone, active=organisation.active))


# -- organisations ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrganisationDraft:
    kind: str
    parent_id: uuid.UUID | None
    code: str
    name: str
    time_zone: str = "Europe/Stockholm"


async def create_organisation(session: AsyncSession, principal: Principal, draft: OrganisationDraft,
                              organisation_id: uuid.UUID | None = None) -> Organisation:
    if not _admin(principal):
        if draft.kind not in rules.STAFF_KINDS or not principal.has("aid_centre_staff"):
            raise Problem(403, "forbidden", "only an administrator creates this kind of organisation; aid-centre "
                                            "staff create service units and buffer stores under their region's municipalities")
        if draft.parent_id is None:
            raise invalid(f"a {draft.kind} belongs to a municipality; name it as parent_id")
        if not await holds(session, principal.account_id, "aid_centre_staff", draft.parent_id):
            raise outside(draft.parent_id, f"organisation {draft.parent_id} is not a municipality of your region")
    parent = await session.get(Organisation, draft.parent_id) if draft.parent_id else None
    if draft.parent_id and parent is None:
        raise not_found("parent organisation", draft.parent_id)
    for problem in (rules.parent_problem(draft.kind, parent.kind if parent else None), rules.time_zone_problem(draft.time_zone)):
        if problem:
            raise invalid(problem)
    await _code_free(session, draft.kind, draft.code)
    organisation = Organisation(id=organisation_id or uuid.uuid4(), kind=draft.kind, parent_id=draft.parent_id,
                                code=draft.code, name=draft.name, time_zone=draft.time_zone, active=True)
    session.add(organisation)
    await session.flush()
    await _publish_organisation(session, organisation)
    return organisation


async def _code_free(session: AsyncSession, kind: str, code: str, but: uuid.UUID | None = None) -> None:
    query = select(Organisation.id).where(Organisation.kind == kind, Organisation.code == code)
    if but is not None:
        query = query.where(Organisation.id != but)
    if (await session.execute(query)).first() is not None:
        raise conflict("code-taken", f"another {kind} has the code {code}", code=code)


async def change_organisation(session: AsyncSession, principal: Principal, organisation_id: uuid.UUID, *,
                              name: str | None, code: str | None, time_zone: str | None,
                              active: bool | None) -> Organisation:
    if not _admin(principal):
        allowed = principal.has("aid_centre_staff") and await holds(session, principal.account_id, "aid_centre_staff",
                                                                    organisation_id)
        organisation = await session.get(Organisation, organisation_id) if allowed else None
        if organisation is None or organisation.kind not in rules.STAFF_KINDS:
            raise outside(organisation_id, f"you may not change organisation {organisation_id}: aid-centre staff change "
                                           "the service units and buffer stores of their region, administrators any")
    organisation = await _organisation(session, organisation_id)
    if time_zone is not None and (problem := rules.time_zone_problem(time_zone)):
        raise invalid(problem)
    if code is not None and code != organisation.code:
        await _code_free(session, organisation.kind, code, but=organisation.id)
    changes = {"name": name, "code": code, "time_zone": time_zone, "active": active}
    changed = False
    for field, value in changes.items():
        if value is not None and getattr(organisation, field) != value:
            setattr(organisation, field, value)
            changed = True
    if changed:
        await session.flush()
        await _publish_organisation(session, organisation)
    return organisation


def organisations_query(principal: Principal, kind: str | None = None) -> Select:
    """Admins: every organisation; others: those where they hold a role, and every one below them."""
    query = select(Organisation)
    if not _admin(principal):
        query = query.where(Organisation.id.in_(_reachable(principal.account_id)))
    if kind is not None:
        query = query.where(Organisation.kind == kind)
    return query.order_by(Organisation.kind, Organisation.name, Organisation.id)


async def read_organisation(session: AsyncSession, principal: Principal, organisation_id: uuid.UUID) -> Organisation:
    if not _admin(principal):
        found = await session.execute(organisations_query(principal).where(Organisation.id == organisation_id))
        organisation = found.scalar_one_or_none()
        if organisation is None:
            raise outside(organisation_id, f"organisation {organisation_id} is not one of yours")
        return organisation
    return await _organisation(session, organisation_id)


# -- memberships -----------------------------------------------------------------------------------------------
async def _may_manage(session: AsyncSession, principal: Principal, organisation_id: uuid.UUID) -> None:
    """Reading an organisation's members and links: admins, and the managers (aid-centre staff of its region,
    its care coordinators)."""
    if _admin(principal):
        await _organisation(session, organisation_id)
        return
    if not await holds(session, principal.account_id, rules.MANAGERS, organisation_id):
        raise outside(organisation_id, f"you do not manage organisation {organisation_id}")


def members_query(organisation_id: uuid.UUID) -> Select:
    return (select(Membership, Account.display_name).join(Account, Account.id == Membership.account_id)
            .where(Membership.organisation_id == organisation_id)
            .order_by(Account.display_name, Membership.role, Membership.account_id))


async def list_members(session: AsyncSession, principal: Principal, organisation_id: uuid.UUID,
                       paging: Paging) -> tuple[list[tuple[Membership, str]], int]:
    """One page of the organisation's memberships with each account's display name, and their count."""
    await _may_manage(session, principal, organisation_id)
    query = members_query(organisation_id)
    total = (await session.execute(select(func.count()).select_from(query.order_by(None).subquery()))).scalar_one()
    rows = await session.execute(query.limit(paging.limit).offset(paging.offset))
    return [(m, name) for m, name in rows.tuples()], total


async def display_name(session: AsyncSession, account_id: uuid.UUID) -> str:
    return (await session.execute(select(Account.display_name).where(Account.id == account_id))).scalar_one()


async def _may_grant(session: AsyncSession, principal: Principal, organisation_id: uuid.UUID, role: str) -> None:
    if _admin(principal):  # may act everywhere: an unknown organisation is a 404
        await _organisation(session, organisation_id)
        return
    managers = rules.managers_of(role)
    if not managers or not principal.has(*managers):
        raise Problem(403, "forbidden", f"you may not grant or revoke the role {role}")
    if not await holds(session, principal.account_id, managers, organisation_id):
        raise outside(organisation_id, f"you may not grant or revoke {role} in organisation {organisation_id}: "
                                       "it is not one of the organisations you manage")


async def grant(session: AsyncSession, principal: Principal, organisation_id: uuid.UUID, account_id: uuid.UUID,
                role: str) -> tuple[Membership, bool]:
    """Give ``account_id`` the role in the organisation; (membership, whether it is new). Holding it already
    changes nothing."""
    await _may_grant(session, principal, organisation_id, role)
    organisation = await _organisation(session, organisation_id)
    if problem := rules.role_problem(role, organisation.kind):
        raise invalid(problem)
    account = await session.get(Account, account_id)
    if account is None:
        raise not_found("account", account_id)
    return await _grant(session, account, organisation, role, principal.account_id)


async def _grant(session: AsyncSession, account: Account, organisation: Organisation, role: str,
                 by: uuid.UUID | None) -> tuple[Membership, bool]:
    if problem := rules.account_problem(role, account.roles):
        raise conflict("account-role", problem)
    existing = await session.get(Membership, (account.id, organisation.id, role))
    if existing is not None:
        return existing, False
    membership = Membership(account_id=account.id, organisation_id=organisation.id, role=role, granted_by=by)
    session.add(membership)
    await session.flush()
    await session.refresh(membership)
    await outbox.add(session, MembershipGranted(account_id=account.id, organisation_id=organisation.id, role=role,  # type: ignore[arg-type]
                                                granted_by=by))
    return membership, True


async def revoke(session: AsyncSession, principal: Principal, organisation_id: uuid.UUID, account_id: uuid.UUID,
                 role: str) -> None:
    await _may_grant(session, principal, organisation_id, role)
    gone = (await session.execute(delete(Membership).where(
        Membership.account_id == account_id, Membership.organisation_id == organisation_id, Membership.role == role)
        .returning(Membership.account_id))).first()
    if gone is None:
        raise not_found("membership", f"{role} of account {account_id} in organisation {organisation_id}")
    await outbox.add(session, MembershipRevoked(account_id=account_id, organisation_id=organisation_id, role=role,  # type: ignore[arg-type]
                                                revoked_by=principal.account_id))


async def memberships_of(session: AsyncSession, account_id: uuid.UUID) -> list[tuple[Membership, Organisation]]:
    """The account's own memberships with their organisations (GET /identity/me)."""
    rows = await session.execute(select(Membership, Organisation).join(Organisation, Organisation.id == Membership.organisation_id)
                                 .where(Membership.account_id == account_id).order_by(Organisation.name, Membership.role))
    return [(m, o) for m, o in rows.tuples()]


# -- representations -------------------------------------------------------------------------------------------
async def _member(session: AsyncSession, account_id: uuid.UUID, role: str, organisation_id: uuid.UUID) -> bool:
    return await session.get(Membership, (account_id, organisation_id, role)) is not None


async def _check_link(session: AsyncSession, organisation_id: uuid.UUID, representative_id: uuid.UUID | None,
                      client_ids: Iterable[uuid.UUID]) -> None:
    """A representative link needs a representative and clients of the same care organisation: else a 403
    that names the organisation (a client id that does not exist gets the same answer)."""
    if representative_id is not None and not await _member(session, representative_id, "representative", organisation_id):
        raise outside(organisation_id, f"account {representative_id} is not a representative of organisation {organisation_id}")
    for client_id in client_ids:
        if not await _member(session, client_id, "client", organisation_id):
            raise outside(organisation_id, f"account {client_id} is not a client of organisation {organisation_id}")


async def link(session: AsyncSession, principal: Principal, organisation_id: uuid.UUID, representative_id: uuid.UUID,
               client_id: uuid.UUID) -> bool:
    """The representative acts for the client from now on (both of this care organisation); True when new."""
    await _may_grant(session, principal, organisation_id, "representative")
    await _check_link(session, organisation_id, representative_id, [client_id])
    made = (await session.execute(insert(Representation).values(representative_id=representative_id, client_id=client_id)
                                  .on_conflict_do_nothing().returning(Representation.client_id))).first()
    return made is not None


async def unlink(session: AsyncSession, principal: Principal, organisation_id: uuid.UUID, representative_id: uuid.UUID,
                 client_id: uuid.UUID) -> None:
    await _may_grant(session, principal, organisation_id, "representative")
    await _check_link(session, organisation_id, representative_id, [])
    gone = (await session.execute(delete(Representation).where(
        Representation.representative_id == representative_id, Representation.client_id == client_id)
        .returning(Representation.client_id))).first()
    if gone is None:
        raise not_found("representation", f"of {client_id} by {representative_id}")


async def list_representations(session: AsyncSession, principal: Principal, organisation_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(representative, client) links of this care organisation: both of them members of it."""
    await _may_manage(session, principal, organisation_id)
    rep, client = aliased(Membership), aliased(Membership)
    rows = await session.execute(
        select(Representation.representative_id, Representation.client_id)
        .join(rep, and_(rep.account_id == Representation.representative_id, rep.role == "representative",
                        rep.organisation_id == organisation_id))
        .join(client, and_(client.account_id == Representation.client_id, client.role == "client",
                           client.organisation_id == organisation_id))
        .order_by(Representation.representative_id, Representation.client_id))
    return [(r, c) for r, c in rows.tuples()]


async def sharing_care_organisation(session: AsyncSession, representative_id: uuid.UUID,
                                    client_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``client_ids`` that are clients of a care organisation where the account is a representative."""
    ids = list(client_ids)
    if not ids:
        return set()
    rep, client = aliased(Membership), aliased(Membership)
    rows = await session.execute(
        select(client.account_id).join(rep, rep.organisation_id == client.organisation_id)
        .where(rep.account_id == representative_id, rep.role == "representative", client.role == "client",
               client.account_id.in_(ids)))
    return {account for (account,) in rows}


# -- accounts made in an organisation (identity.create_account) ------------------------------------------------
async def check_creation(session: AsyncSession, creator: Principal, *, roles: list[str],
                         organisation_id: uuid.UUID | None, represents: list[uuid.UUID]) -> None:
    """Before an account is made: an admin places it anywhere; a care coordinator only in a care organisation
    they coordinate (named by ``organisation_id``), with representative links only to that organisation's
    clients; a therapist makes clients only once booking has authorised them."""
    if represents:
        if "representative" not in roles:
            raise invalid("only an account with the role representative represents clients")
        if organisation_id is None:
            raise invalid("name the care organisation of the representative and the clients (organisation_id)")
    if _admin(creator):
        if organisation_id is not None:
            organisation = await _organisation(session, organisation_id)
            for role in rules.memberships_for(roles):
                if problem := rules.role_problem(role, organisation.kind):
                    raise invalid(problem)
    elif organisation_id is not None:
        if not (creator.has("care_coordinator")
                and await holds(session, creator.account_id, "care_coordinator", organisation_id)):
            raise outside(organisation_id, f"you may not make accounts in organisation {organisation_id}: "
                                           "you are not a care coordinator there")
    elif creator.has("therapist"):
        if not await authorised_therapist(session, creator.account_id):
            raise Problem(403, "therapist-not-authorised", "you can make client accounts once an administrator "
                                                           "has authorised your application")
    else:
        raise invalid("name the care organisation the account is for (organisation_id)")
    if organisation_id is not None:
        await _check_link(session, organisation_id, None, represents)


async def place_account(session: AsyncSession, creator: Principal, account: Account,
                        organisation_id: uuid.UUID | None) -> None:
    """The memberships a new account gets in the organisation it was made for (after ``check_creation``)."""
    if organisation_id is None:
        return
    organisation = await _organisation(session, organisation_id)
    for role in rules.memberships_for(account.roles):
        await _grant(session, account, organisation, role, creator.account_id)


# -- therapists (booking's reviews) ---------------------------------------------------------------------------
async def therapist_reviewed(session: AsyncSession, therapist_id: uuid.UUID, authorised: bool) -> None:
    values = {"authorised": authorised}
    await session.execute(insert(TherapistReview).values(therapist_id=therapist_id, **values)
                          .on_conflict_do_update(index_elements=[TherapistReview.therapist_id], set_=values))


async def authorised_therapist(session: AsyncSession, therapist_id: uuid.UUID) -> bool:
    review = await session.get(TherapistReview, therapist_id)
    return review is not None and review.authorised
