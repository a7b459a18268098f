"""Pure rules for stock and individuals (LG-7, LG-8)."""

from __future__ import annotations

from datetime import date

MIN_SEARCH = 3


class StockRuleError(ValueError):
    pass


def may_register_individual(aid_class: str, warehouse_kind: str, *, aid_centre: bool, own_store: bool) -> None:
    """Who registers new individuals where (KHS manual, "Registrera individ"): the aid centre registers
    A- and B-aids in its own warehouses; a prescriber registers only B-aids, and only in one of their own
    buffer stores."""
    if aid_centre:
        if warehouse_kind != "aid_centre":
            raise StockRuleError("the aid centre registers individuals in its own warehouses; buffer stores register their own")
        return
    if aid_class != "B":
        raise StockRuleError("individual-marked A-aids are registered by the aid centre; only B-aids can be registered here")
    if warehouse_kind != "buffer_store" or not own_store:
        raise StockRuleError("new individuals are registered in one of your own buffer stores")


def estimated_age(purchase_date: date | None, today: date) -> str | None:
    """'3 år 2 mån' style, as the individual card shows it; None without a purchase date."""
    if purchase_date is None:
        return None
    months = (today.year - purchase_date.year) * 12 + today.month - purchase_date.month - (today.day < purchase_date.day)
    months = max(months, 0)
    return f"{months // 12} år {months % 12} mån"


def check_search(text: str) -> str:
    text = text.strip()
    if len(text) < MIN_SEARCH:
        raise StockRuleError(f"type at least {MIN_SEARCH} characters of the individual or serial number")
    return text
