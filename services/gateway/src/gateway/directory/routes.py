"""Directory routes, served by the gateway itself under /directory (thin; use cases in directory.service).

403 for an organisation that is not the caller's and for one that does not exist alike (the problem names
the id); 404 only once the caller may act there."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.directory import service
from gateway.directory.rules import KINDS, MEMBERSHIP_ROLES
from kit.auth import CurrentPrincipal
from kit.pagination import Page, PageParams, paginate
from kit.service import DbSession

router = APIRouter(prefix="/directory", tags=["directory"])

Kind = Literal[KINDS]  # type: ignore[valid-type]
Role = Literal[MEMBERSHIP_ROLES]  # type: ignore[valid-type]
_PROBLEMS = {403: {"description": "outside your organisations (the problem names which)"},
             404: {"description": "unknown, once you may act in the organisation"},
             409: {"description": "a conflict: the code is taken, the account cannot hold the role"},
             422: {"description": "a kind under the wrong parent, a role in the wrong kind, bad input"}}


class OrganisationIn(BaseModel):
    kind: Kind
    #: region for an aid centre or municipality; municipality for a service unit or buffer store; none else
    parent_id: uuid.UUID | None = None
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    time_zone: str = Field(default="Europe/Stockholm", max_length=64)


class OrganisationChange(BaseModel):
    code: str | None = Field(default=None, min_length=1, max_length=40)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    time_zone: str | None = Field(default=None, max_length=64)
    active: bool | None = None


class OrganisationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    parent_id: uuid.UUID | None
    code: str
    name: str
    time_zone: str
    active: bool


class MemberIn(BaseModel):
    account_id: uuid.UUID
    role: Role


class MemberOut(BaseModel):
    account_id: uuid.UUID
    display_name: str
    organisation_id: uuid.UUID
    role: str
    granted_by: uuid.UUID | None
    granted_at: datetime


class RepresentationIn(BaseModel):
    representative_id: uuid.UUID
    client_id: uuid.UUID


class RepresentationOut(BaseModel):
    organisation_id: uuid.UUID
    representative_id: uuid.UUID
    client_id: uuid.UUID


@router.post("/organisations", status_code=201, responses=_PROBLEMS, operation_id="gateway_directory_create_organisation")
async def create_organisation(body: OrganisationIn, session: DbSession, principal: CurrentPrincipal) -> OrganisationOut:
    """Admins create any organisation; aid-centre staff service units and buffer stores under a municipality
    of their region."""
    made = await service.create_organisation(session, principal, service.OrganisationDraft(**body.model_dump()))
    return OrganisationOut.model_validate(made)


@router.get("/organisations", operation_id="gateway_directory_list_organisations")
async def list_organisations(session: DbSession, principal: CurrentPrincipal, page: PageParams,
                             kind: Kind | None = Query(default=None)) -> Page[OrganisationOut]:
    """Admins: every organisation; others: those where they hold a role, and those below them."""
    return await paginate(session, service.organisations_query(principal, kind), page, OrganisationOut)


@router.get("/organisations/{organisation_id}", responses=_PROBLEMS, operation_id="gateway_directory_read_organisation")
async def read_organisation(organisation_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> OrganisationOut:
    return OrganisationOut.model_validate(await service.read_organisation(session, principal, organisation_id))


@router.patch("/organisations/{organisation_id}", responses=_PROBLEMS, operation_id="gateway_directory_change_organisation")
async def change_organisation(organisation_id: uuid.UUID, body: OrganisationChange, session: DbSession,
                              principal: CurrentPrincipal) -> OrganisationOut:
    """Rename, recode, another time zone, deactivate (``active: false``). Admins any; aid-centre staff the
    service units and buffer stores of their region."""
    changed = await service.change_organisation(session, principal, organisation_id, **body.model_dump())
    return OrganisationOut.model_validate(changed)


def _member(row) -> MemberOut:  # noqa: ANN001 (a (Membership, display name) row)
    membership, display_name = row
    return MemberOut(account_id=membership.account_id, display_name=display_name, organisation_id=membership.organisation_id,
                     role=membership.role, granted_by=membership.granted_by, granted_at=membership.granted_at)


@router.get("/organisations/{organisation_id}/members", responses=_PROBLEMS, operation_id="gateway_directory_list_members")
async def list_members(organisation_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal,
                       page: PageParams) -> Page[MemberOut]:
    """Who holds which role here: for admins and the organisation's managers (aid-centre staff of its region,
    its care coordinators)."""
    rows, total = await service.list_members(session, principal, organisation_id, page)
    return Page[MemberOut](items=[_member(row) for row in rows], total=total, limit=page.limit, offset=page.offset)


@router.post("/organisations/{organisation_id}/members", status_code=201, responses=_PROBLEMS,
             operation_id="gateway_directory_grant")
async def grant(organisation_id: uuid.UUID, body: MemberIn, session: DbSession, principal: CurrentPrincipal,
                response: Response) -> MemberOut:
    """Grant a role here (201; 200 when the account holds it already). Admins anything; aid-centre staff
    prescriber, store_keeper and controller in their region; care coordinators client and representative in
    their care organisation."""
    membership, new = await service.grant(session, principal, organisation_id, body.account_id, body.role)
    response.status_code = 201 if new else 200
    return _member((membership, await service.display_name(session, body.account_id)))


@router.delete("/organisations/{organisation_id}/members/{account_id}/{role}", status_code=204, responses=_PROBLEMS,
               operation_id="gateway_directory_revoke")
async def revoke(organisation_id: uuid.UUID, account_id: uuid.UUID, role: Role, session: DbSession,
                 principal: CurrentPrincipal) -> None:
    await service.revoke(session, principal, organisation_id, account_id, role)


@router.get("/organisations/{organisation_id}/representations", responses=_PROBLEMS,
            operation_id="gateway_directory_list_representations")
async def list_representations(organisation_id: uuid.UUID, session: DbSession,
                               principal: CurrentPrincipal) -> list[RepresentationOut]:
    links = await service.list_representations(session, principal, organisation_id)
    return [RepresentationOut(organisation_id=organisation_id, representative_id=r, client_id=c) for r, c in links]


@router.post("/organisations/{organisation_id}/representations", status_code=201, responses=_PROBLEMS,
             operation_id="gateway_directory_link_representative")
async def link(organisation_id: uuid.UUID, body: RepresentationIn, session: DbSession, principal: CurrentPrincipal,
               response: Response) -> RepresentationOut:
    """A representative of this care organisation acts for one of its clients (GW-6): for its coordinators
    and admins; both must be members here (a 403 names the organisation otherwise)."""
    new = await service.link(session, principal, organisation_id, body.representative_id, body.client_id)
    response.status_code = 201 if new else 200
    return RepresentationOut(organisation_id=organisation_id, **body.model_dump())


@router.delete("/organisations/{organisation_id}/representations/{representative_id}/{client_id}", status_code=204,
               responses=_PROBLEMS, operation_id="gateway_directory_unlink_representative")
async def unlink(organisation_id: uuid.UUID, representative_id: uuid.UUID, client_id: uuid.UUID, session: DbSession,
                 principal: CurrentPrincipal) -> None:
    await service.unlink(session, principal, organisation_id, representative_id, client_id)
