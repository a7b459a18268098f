"""Excel cells written from data are text, never formulas (issue 17, point 8): a client's display name such
as ``=HYPERLINK(…)`` must not become a live formula in a clerk's workbook. openpyxl turns any string that
starts with ``=`` into a formula; a text starting with ``+ - @``, a tab or a CR is what spreadsheet programs
re-read as one when the file is exported to CSV. Such a string is stored as a plain string cell with its
value unchanged; numbers and dates stay numbers and dates.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def append_row(sheet: Any, values: Iterable[object]) -> None:
    """``sheet.append(values)`` with every formula-like string kept as text (openpyxl data type ``s``)."""
    values = list(values)
    sheet.append(values)
    for cell, value in zip(sheet[sheet.max_row], values, strict=False):
        if is_formula_like(value):
            cell.value = value
            cell.data_type = "s"
