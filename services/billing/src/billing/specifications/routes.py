"""Invoice-specification routes (BL-8): search, view, download as Excel."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from billing.reports.excel import workbook
from billing.specifications import access, rules, service
from kit.auth import Principal, require_roles
from kit.directory import Directory
from kit.service import DbSession

router = APIRouter(tags=["invoice specifications"])
#: the payer municipality's controllers, the region's aid-centre staff, admins (which payers: ``access``)
Controller = Annotated[Principal, Depends(require_roles("aid_centre_staff", "controller", "admin"))]
Kind = Literal["aid_centre", "other_municipality", "internal"]


class RentRunIn(BaseModel):
    month: date = Field(description="Any day of the month to invoice rent for (2000 to 2099)",
                        ge=date(2000, 1, 1), le=date(2099, 12, 31))


@router.post("/invoice-specifications/rent-runs")
async def rent_run(body: RentRunIn, session: DbSession, me: Annotated[Principal, Depends(require_roles("aid_centre_staff", "admin"))]) -> dict:
    """Monthly rent of the aids out on loan onto the payers' aid-centre specifications (a monthly job;
    running it again adds nothing)."""
    return {"month": rules.period_of(body.month).isoformat(), "rent_lines": await service.rent_run(session, body.month)}


class SpecificationOut(BaseModel):
    id: uuid.UUID
    invoice_number: str
    payer: str = Field(description="The paying municipality's code")
    payer_id: uuid.UUID | None = Field(default=None, description="The paying municipality's organisation id")
    payer_name: str | None = Field(default=None, description="The paying municipality's name")
    period: date
    kind: str
    kind_title: str
    seller: str
    lines: int
    total_minor: int


class LineOut(BaseModel):
    line_kind: str
    case_number: str
    our_reference: str
    delivered_at: datetime
    article_number: str
    quantity: int
    unit_price_minor: int
    amount_minor: int
    currency: str


class SpecificationDetail(SpecificationOut):
    rows: list[LineOut]


async def _payer(session: DbSession, code: str) -> tuple[uuid.UUID | None, str | None]:
    found = await Directory.by_code(session, "municipality", code)
    return (found.id, found.name) if found else (None, None)


async def _out(session: DbSession, spec, lines: int, total: int) -> SpecificationOut:  # noqa: ANN001
    payer_id, payer_name = await _payer(session, spec.payer)
    return SpecificationOut(id=spec.id, invoice_number=spec.invoice_number, payer=spec.payer, payer_id=payer_id,
                            payer_name=payer_name, period=spec.period, kind=spec.kind,
                            kind_title=rules.KIND_TITLES[spec.kind], seller=spec.seller, lines=lines, total_minor=total)


@router.get("/invoice-specifications")
async def search(session: DbSession, me: Controller, payer: str | None = None, start: date | None = None, end: date | None = None,
                 kind: Kind | None = None, our_reference: str | None = None) -> list[SpecificationOut]:
    """By payer (its municipality code or organisation id) and invoice period (``start``–``end``) and type; or
    every invoice holding ``our_reference``: of the payers whose invoices you reconcile (a payer you do not is
    a 403 naming it)."""
    allowed = await access.payers(session, me)
    code = await access.payer_code(session, allowed, payer) if payer else None
    return [await _out(session, s, n, t) for s, n, t in await service.search(
        session, payer=code, start=start, end=end, kind=kind, our_reference=our_reference, payers=allowed.codes)]


@router.get("/invoice-specifications/{specification_id}.xlsx", response_class=Response)
async def download(specification_id: uuid.UUID, session: DbSession, me: Controller) -> Response:
    """The specification as an Excel file (declared before the plain view, whose path would take it)."""
    spec, lines = await service.specification(session, specification_id, (await access.payers(session, me)).codes)
    _, payer_name = await _payer(session, spec.payer)
    payer = f"{spec.payer} {payer_name}" if payer_name else spec.payer
    content = workbook(
        f"Fakturaspecifikation {spec.invoice_number} – {rules.KIND_TITLES[spec.kind]} – {payer} {spec.period:%Y-%m}",
        ["Leverans", "Ordernummer", "Slag", "Vår referens", "Artikel", "Antal", "À-pris", "Belopp", "Valuta"],
        [[line.delivered_at.date(), line.case_number, "Hyra" if line.line_kind == "rent" else "Köp", line.our_reference,
          line.article_number, line.quantity, line.unit_price_minor / 100, line.amount_minor / 100, line.currency] for line in lines],
        dates=[0], money=[6, 7], total_of=[7], widths=[12, 12, 8, 22, 20, 8, 12, 12, 8], sheet="Specifikation")
    return Response(content, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="fakturaspecifikation-{spec.invoice_number}.xlsx"'})


@router.get("/invoice-specifications/{specification_id}")
async def view(specification_id: uuid.UUID, session: DbSession, me: Controller) -> SpecificationDetail:
    """Another payer's specification is not found, as a missing one."""
    spec, lines = await service.specification(session, specification_id, (await access.payers(session, me)).codes)
    return SpecificationDetail(**(await _out(session, spec, len(lines), sum(line.amount_minor for line in lines))).model_dump(),
                               rows=[LineOut.model_validate(line, from_attributes=True) for line in lines])
