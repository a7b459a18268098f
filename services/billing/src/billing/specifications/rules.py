"""Pure rules of invoice specifications (BL-8)."""

from __future__ import annotations

from datetime import date

AID_CENTRE_SELLER = "Hjälpmedelscentralen"
KINDS = ("aid_centre", "other_municipality", "internal")
KIND_TITLES = {"aid_centre": "Köp via hjälpmedelscentralen", "other_municipality": "Köp från andra kommuner",
               "internal": "Interna transaktioner, eget buffertförråd"}


def kind_of(source: str, seller: str, payer: str) -> str:
    """Purchases from the aid centre; from another municipality's buffer store; or internal (the payer's own store)."""
    if source == "aid_centre":
        return "aid_centre"
    return "internal" if seller == payer else "other_municipality"


def period_of(day: date) -> date:
    """Invoices are monthly: the period is the month's first day."""
    return day.replace(day=1)


def monthly_rent(new_price_minor: int, rent_months: int) -> int:
    """The new price spread over ``rent_months`` months, rounded up to whole öre."""
    return -(-new_price_minor // rent_months)


def month_bounds(month: date) -> tuple[date, date]:
    first = period_of(month)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, following


def invoice_number(period: date, running: int) -> str:
    """YYMMNNNN: the period's year and month and a running number within it."""
    return f"{period.year % 100:02d}{period.month:02d}{running:04d}"
