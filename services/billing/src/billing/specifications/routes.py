"""Invoice-specification routes (BL-8): search, view, download as Excel."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from billing.reports.excel import workbook
from billing.specifications import rules, service
from kit.auth import Principal, require_roles
from kit.service import DbSession

router = APIRouter(tags=["invoice specifications"])
Controller = Annotated[Principal, Depends(require_roles("aid_centre_staff", "prescriber", "admin"))]
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
    payer: str
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


def _out(spec, lines: int, total: int) -> SpecificationOut:  # noqa: ANN001
    return SpecificationOut(id=spec.id, invoice_number=spec.invoice_number, payer=spec.payer, period=spec.period, kind=spec.kind,
                            kind_title=rules.KIND_TITLES[spec.kind], seller=spec.seller, lines=lines, total_minor=total)


@router.get("/invoice-specifications")
async def search(session: DbSession, me: Controller, payer: str | None = None, start: date | None = None, end: date | None = None,
                 kind: Kind | None = None, our_reference: str | None = None) -> list[SpecificationOut]:
    """By payer and invoice period (``start``–``end``) and type; or every invoice holding ``our_reference``."""
    return [_out(s, n, t) for s, n, t in await service.search(session, payer=payer, start=start, end=end, kind=kind,
                                                                our_reference=our_reference)]


@router.get("/invoice-specifications/{specification_id}.xlsx", response_class=Response)
async def download(specification_id: uuid.UUID, session: DbSession, me: Controller) -> Response:
    """The specification as an Excel file (declared before the plain view, whose path would take it)."""
    spec, lines = await service.specification(session, specification_id)
    content = workbook(
        f"Fakturaspecifikation {spec.invoice_number} – {rules.KIND_TITLES[spec.kind]} – {spec.payer} {spec.period:%Y-%m}",
        ["Leverans", "Ordernummer", "Slag", "Vår referens", "Artikel", "Antal", "À-pris", "Belopp", "Valuta"],
        [[line.delivered_at.date(), line.case_number, "Hyra" if line.line_kind == "rent" else "Köp", line.our_reference,
          line.article_number, line.quantity, line.unit_price_minor / 100, line.amount_minor / 100, line.currency] for line in lines],
        dates=[0], money=[6, 7], total_of=[7], widths=[12, 12, 8, 22, 20, 8, 12, 12, 8], sheet="Specifikation")
    return Response(content, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="fakturaspecifikation-{spec.invoice_number}.xlsx"'})


@router.get("/invoice-specifications/{specification_id}")
async def view(specification_id: uuid.UUID, session: DbSession, me: Controller) -> SpecificationDetail:
    spec, lines = await service.specification(session, specification_id)
    return SpecificationDetail(**_out(spec, len(lines), sum(line.amount_minor for line in lines)).model_dump(),
                               rows=[LineOut.model_validate(line, from_attributes=True) for line in lines])
