"""One-sheet Excel workbooks for clerks: a title, a bold header, rows with real dates and numbers
(formatted, not text), and a totals row as values, so sums, filters and programs reading the file work."""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from kit import xlsx


def workbook(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]], *, dates: Sequence[int] = (),
             money: Sequence[int] = (), total_of: Sequence[int] = (), widths: Sequence[int] = (), sheet: str = "Sheet") -> bytes:
    book = Workbook()
    page = book.active
    page.title = sheet
    xlsx.append_row(page, [title])
    page["A1"].font = Font(bold=True, size=13)
    xlsx.append_row(page, headers)
    for cell in page[2]:
        cell.font = Font(bold=True)
    for row in rows:
        xlsx.append_row(page, row)  # a name such as "=HYPERLINK(…)" stays text
    if total_of:
        totals: list[object] = ["Total"] + [None] * (len(headers) - 1)
        for column in total_of:
            totals[column] = round(sum((row[column] or 0) for row in rows), 2)  # type: ignore[arg-type]
        page.append(totals)
        for cell in page[page.max_row]:
            cell.font = Font(bold=True)
    for row in page.iter_rows(min_row=3, max_row=page.max_row):
        for column in dates:
            row[column].number_format = "yyyy-mm-dd"
        for column in money:
            row[column].number_format = "#,##0.00"
    for index, width in enumerate(widths, start=1):
        page.column_dimensions[get_column_letter(index)].width = width
    page.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
