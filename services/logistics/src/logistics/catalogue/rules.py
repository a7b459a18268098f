"""Pure rules of article search (LG-4)."""

from __future__ import annotations

MIN_TERM = 3
COUNT_CAP = 1000  # hit counts are exact up to here; beyond it a search reports "more than 1000"
SORTABLE = ("number", "name", "supplier", "supplier_article_number", "new_price_minor", "iso_code")


class SearchRuleError(ValueError):
    pass


def search_terms(text: str) -> list[str]:
    """Space-separated terms, each at least three characters, lower-cased; every one must match."""
    terms = [t.lower() for t in text.split()]
    if not terms:
        raise SearchRuleError("type at least one search term")
    short = [t for t in terms if len(t) < MIN_TERM]
    if short:
        raise SearchRuleError(f"every search term needs at least {MIN_TERM} characters: {', '.join(short)}")
    return list(dict.fromkeys(terms))


def iso_parent(code: str) -> str | None:
    """ISO 9999: 1215 → 12, 121506 → 1215, 12 → None."""
    return code[:-2] or None
