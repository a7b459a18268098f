"""HTTP routes of payouts, agreements, the ledger and reports (thin; use cases in the service modules)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from billing.ledger.service import balances
from billing.models import Payout, PayoutRun
from billing.payouts import rules, service
from billing.reports.service import session_rows, to_xlsx
from kit.auth import CurrentPrincipal, Principal, require_roles
from kit.problems import conflict, forbidden, invalid
from kit.service import DbSession

router = APIRouter(tags=["payouts"])
Admin = Annotated[Principal, Depends(require_roles("admin"))]


class RunIn(BaseModel):
    month: str = Field(pattern=rules.MONTH.pattern, examples=["2026-10"], description="YYYY-MM, 2000-01 to 2099-12")


class PayoutOut(BaseModel):
    id: uuid.UUID
    month: str
    therapist_id: uuid.UUID
    amount_minor: int
    currency: str
    bank_reference: str
    payout_date: date


class RunOut(BaseModel):
    """One month's payout run: when, by whom, and what it paid (empty when nothing was due)."""

    month: str
    started_at: datetime
    triggered_by: str
    payouts: list[PayoutOut]


class StatementLine(BaseModel):
    booking_id: uuid.UUID
    session_starts_at: str
    fee_minor: int
    commission_minor: int
    net_minor: int


class StatementOut(BaseModel):
    payout: PayoutOut
    lines: list[StatementLine]


class AgreementIn(BaseModel):
    commission_bp: int = Field(ge=0, le=10_000, description="The platform's share in basis points (1500 = 15 %)")


def _payout_out(payout: Payout, payout_day: int) -> PayoutOut:
    return PayoutOut(id=payout.id, month=payout.month, therapist_id=payout.therapist_id, amount_minor=payout.amount_minor,
                     currency=payout.currency, bank_reference=payout.bank_reference,
                     payout_date=rules.payout_date(rules.Month.parse(payout.month), payout_day))


def _run_out(run: PayoutRun, payouts: list[Payout], payout_day: int) -> RunOut:
    return RunOut(month=run.month, started_at=run.started_at, triggered_by=run.triggered_by,
                  payouts=[_payout_out(p, payout_day) for p in payouts])


@router.post("/payouts/runs", status_code=201)
async def run_payouts(body: RunIn, request: Request, session: DbSession, principal: Admin) -> RunOut:
    """Pay every therapist for a month that has ended: the run and what it paid (no payouts: nothing was
    due). A month runs once; running it again is a 409 that says when it ran."""
    settings = request.app.state.settings
    month = rules.Month.parse(body.month)
    payouts = await service.run_month(session, settings, request.app.state.bank, month,
                                      triggered_by=f"admin {principal.account_id}")
    run = await session.get(PayoutRun, str(month))
    assert run is not None  # run_month recorded it, or found the earlier one
    if payouts is None:
        raise conflict("month-paid-already", f"{month} was paid out already on {run.started_at:%Y-%m-%d %H:%M} UTC "
                                             f"({run.triggered_by}); nothing is paid twice", month=str(month),
                       started_at=run.started_at.isoformat())
    return _run_out(run, payouts, settings.payout_day)


@router.get("/payouts/runs")
async def list_runs(request: Request, session: DbSession, principal: Admin) -> list[RunOut]:
    """Every payout run, newest month first, with what each paid."""
    runs = list((await session.execute(select(PayoutRun).order_by(PayoutRun.month.desc()))).scalars())
    paid = list((await session.execute(select(Payout).where(Payout.month.in_([r.month for r in runs]))
                                       .order_by(Payout.paid_at))).scalars())
    day = request.app.state.settings.payout_day
    return [_run_out(run, [p for p in paid if p.month == run.month], day) for run in runs]


@router.get("/payouts")
async def list_payouts(request: Request, session: DbSession, principal: CurrentPrincipal,
                       therapist_id: uuid.UUID | None = None) -> list[PayoutOut]:
    """A therapist sees their own payouts; an admin anyone's."""
    if not principal.has("admin"):
        if therapist_id not in (None, principal.account_id):
            raise forbidden("a therapist sees only their own payouts")
        therapist_id = principal.account_id
    query = select(Payout).order_by(Payout.paid_at.desc())
    if therapist_id:
        query = query.where(Payout.therapist_id == therapist_id)
    day = request.app.state.settings.payout_day
    return [_payout_out(p, day) for p in (await session.execute(query)).scalars()]


@router.get("/payouts/{payout_id}/statement")
async def payout_statement(payout_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal) -> StatementOut:
    """A payout's statement, for its therapist and admins; another therapist's answers as a missing one (404)."""
    payout, lines = await service.statement(session, payout_id, principal)
    return StatementOut(
        payout=_payout_out(payout, request.app.state.settings.payout_day),
        lines=[StatementLine(booking_id=p.booking_id, session_starts_at=p.starts_at.isoformat(), fee_minor=e.fee_minor,
                             commission_minor=e.commission_minor, net_minor=e.net_minor) for e, p in lines],
    )


@router.put("/therapists/{therapist_id}/agreement")
async def set_agreement(therapist_id: uuid.UUID, body: AgreementIn, session: DbSession, principal: Admin) -> AgreementIn:
    account = await service.set_agreement(session, therapist_id, body.commission_bp)
    return AgreementIn(commission_bp=account.commission_bp)


@router.get("/ledger/balances")
async def ledger_balances(session: DbSession, principal: Admin, currency: str | None = None) -> dict[str, int]:
    """Balance per account in minor units (debits positive); all accounts together sum to zero."""
    return await balances(session, currency)


@router.get("/reports/sessions.xlsx", response_class=Response)
async def sessions_report(
    request: Request, session: DbSession, principal: CurrentPrincipal,
    start: Annotated[date, Query(alias="from")], end: Annotated[date, Query(alias="to")],
    therapist_id: uuid.UUID | None = None,
) -> Response:
    """BL-5: every booked session in the period as an Excel file (the bookkeeping basis for the payout)."""
    if end < start:
        raise invalid("'to' is before 'from'")
    if (end - start).days > 366:
        raise invalid("a report covers at most one year")
    if not principal.has("admin"):
        if not principal.has("therapist") or therapist_id not in (None, principal.account_id):
            raise forbidden("a therapist reports only their own sessions")
        therapist_id = principal.account_id
    rows = await session_rows(session, request.app.state.settings, start=start, end=end, therapist_id=therapist_id)
    content = to_xlsx(rows, title=f"Sessions {start} – {end}")
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="sessions-{start}-{end}.xlsx"'},
    )
