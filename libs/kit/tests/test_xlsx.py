"""kit.xlsx: a formula-like text from data lands as text with its value unchanged; numbers stay numbers."""

import io

from openpyxl import Workbook, load_workbook

from kit import xlsx


def test_formula_like_texts_are_text_and_numbers_stay_numbers():
    book = Workbook()
    sheet = book.active
    values = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1)", "\tx", "Anna", 42, -3.5]
    xlsx.append_row(sheet, values)
    buffer = io.BytesIO()
    book.save(buffer)
    row = next(load_workbook(io.BytesIO(buffer.getvalue())).active.iter_rows())
    assert [cell.value for cell in row] == values
    assert [cell.data_type for cell in row] == ["s"] * 6 + ["n", "n"]
