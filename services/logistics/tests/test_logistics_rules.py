"""Pure logistics rules: case numbers at week and year boundaries, search terms, who registers
individuals, an individual's estimated age."""

from datetime import date

import pytest

from logistics.case_numbers import CaseNumbersExhausted, format_case_number, week_of
from logistics.catalogue import rules as search
from logistics.stock import rules as stock


@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 11, 25), (2026, 48)),
    (date(2026, 12, 31), (2026, 53)),  # 2026 has 53 ISO weeks
    (date(2027, 1, 3), (2026, 53)),    # the first days of 2027 still belong to 2026-W53
    (date(2027, 1, 4), (2027, 1)),
    (date(2024, 12, 30), (2025, 1)),   # and the last days of a year may belong to the next
])
def test_iso_weeks_at_the_boundaries(day, expected):
    assert week_of(day) == expected


def test_case_number_format():
    assert format_case_number(2026, 53, 1) == "26530001"
    assert format_case_number(2027, 1, 42) == "27010042"
    with pytest.raises(CaseNumbersExhausted):
        format_case_number(2027, 1, 10_000)


def test_search_terms():
    assert search.search_terms("  Rollator  EXEMPEL rollator ") == ["rollator", "exempel"]
    with pytest.raises(search.SearchRuleError, match="at least 3 characters: ab"):
        search.search_terms("rollator ab")
    with pytest.raises(search.SearchRuleError, match="at least one"):
        search.search_terms("   ")


def test_a_prescriber_registers_only_b_aids_in_an_own_store():
    stock.may_register_individual("B", "buffer_store", aid_centre=False, own_store=True)
    with pytest.raises(stock.StockRuleError, match="A-aids are registered by the aid centre"):
        stock.may_register_individual("A", "buffer_store", aid_centre=False, own_store=True)
    with pytest.raises(stock.StockRuleError, match="own buffer stores"):
        stock.may_register_individual("B", "aid_centre", aid_centre=False, own_store=False)
    with pytest.raises(stock.StockRuleError, match="own buffer stores"):
        stock.may_register_individual("B", "buffer_store", aid_centre=False, own_store=False)


def test_the_aid_centre_registers_a_and_b_aids_in_its_own_warehouses():
    stock.may_register_individual("A", "aid_centre", aid_centre=True, own_store=False)
    stock.may_register_individual("B", "aid_centre", aid_centre=True, own_store=False)
    with pytest.raises(stock.StockRuleError, match="buffer stores register their own"):
        stock.may_register_individual("A", "buffer_store", aid_centre=True, own_store=False)


def test_estimated_age():
    assert stock.estimated_age(date(2023, 9, 30), date(2026, 11, 25)) == "3 år 1 mån"
    assert stock.estimated_age(date(2026, 11, 26), date(2026, 11, 25)) == "0 år 0 mån"
    assert stock.estimated_age(None, date(2026, 11, 25)) is None
    with pytest.raises(stock.StockRuleError):
        stock.check_search("ab")
