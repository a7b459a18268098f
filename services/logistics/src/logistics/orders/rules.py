"""Pure order rules (LG-11)."""

from __future__ import annotations

from datetime import date, timedelta

DELIVERY_WORKING_DAYS = 3


class OrderRuleError(ValueError):
    pass


def planned_delivery(submitted: date, working_days: int = DELIVERY_WORKING_DAYS) -> date:
    """The planned delivery date: ``working_days`` weekdays after submitting (weekends skipped)."""
    day = submitted
    left = working_days
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return day


def may_cancel(status: str) -> None:
    if status != "registered":
        raise OrderRuleError(f"an order can be cancelled only while it is registered; this one is {status}")


def components_after_change(template: list[dict], allowed: set[str], removed: set[str], added: list[dict]) -> list[dict]:
    """An individual's components: the template's standard ones minus the removed, plus added ones that
    belong to the article's component list."""
    unknown = [a["article_id"] for a in added if a["article_id"] not in allowed]
    if unknown:
        raise OrderRuleError(f"not components of this article: {', '.join(unknown)}")
    kept = [c for c in template if not (c["standard"] and c["article_id"] in removed)]
    present = {c["article_id"] for c in kept}
    return kept + [{"article_id": a["article_id"], "quantity": a.get("quantity", 1), "standard": False}
                   for a in added if a["article_id"] not in present]
