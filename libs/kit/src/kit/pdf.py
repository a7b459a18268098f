"""Printable documents (PDF) with fpdf2, in an embedded Unicode font (DejaVu Sans) so every European name
prints: a title, facts as label/value pairs and tables. Plain and
readable on paper; the text is real text, so tests and screen readers can extract it.

    doc = PdfDocument("Hjälpmedelslista", subtitle="Utskriven 2026-11-25")
    doc.facts([("Mottagare", "Test Testsson"), ("Adress", "Exempelgatan 1")])
    doc.table(["Artikel", "Benämning"], [["100123", "Rollator"]], widths=[30, 150])
    pdf_bytes = doc.output()
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF

#: DejaVu Sans is shipped inside kit (kit/fonts, Bitstream Vera licence beside it) and embedded in every PDF:
#: the PDF core fonts cover Latin-1 only, so "Łukasz Čapek" printed as "?ukasz ?apek".
_FONTS = Path(__file__).parent / "fonts"
_FONT = "DejaVu"


def _text(text: object) -> str:
    """The text as given (the name is kept from the Latin-1 days); None prints as nothing."""
    return str(text if text is not None else "")


class PdfDocument:
    def __init__(self, title: str, *, subtitle: str | None = None, footer: str | None = None) -> None:
        self._pdf = FPDF(format="A4")
        self._pdf.add_font(_FONT, "", str(_FONTS / "DejaVuSans.ttf"))
        self._pdf.add_font(_FONT, "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
        self._pdf.add_font(_FONT, "I", str(_FONTS / "DejaVuSans-Oblique.ttf"))
        self._pdf.set_auto_page_break(auto=True, margin=15)
        self._pdf.set_title(_text(title))
        self._footer = footer
        self._pdf.add_page()
        self._pdf.set_font(_FONT, "B", 16)
        self._pdf.cell(0, 10, _text(title), new_x="LMARGIN", new_y="NEXT")
        if subtitle:
            self._pdf.set_font(_FONT, "", 10)
            self._pdf.cell(0, 6, _text(subtitle), new_x="LMARGIN", new_y="NEXT")
        self._pdf.ln(4)

    def heading(self, text: str) -> None:
        self._pdf.ln(2)
        self._pdf.set_font(_FONT, "B", 12)
        self._pdf.cell(0, 8, _text(text), new_x="LMARGIN", new_y="NEXT")

    def facts(self, pairs: Sequence[tuple[str, object]]) -> None:
        for label, value in pairs:
            self._pdf.set_font(_FONT, "B", 10)
            self._pdf.cell(45, 6, _text(label))
            self._pdf.set_font(_FONT, "", 10)
            self._pdf.multi_cell(0, 6, _text(value), new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str) -> None:
        self._pdf.set_font(_FONT, "", 10)
        self._pdf.multi_cell(0, 6, _text(text), new_x="LMARGIN", new_y="NEXT")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]], *, widths: Sequence[int] | None = None,
              empty: str = "-") -> None:
        self._pdf.set_font(_FONT, "", 9)
        if not rows:
            self.paragraph(empty)
            return
        with self._pdf.table(col_widths=tuple(widths) if widths else None, text_align="LEFT", line_height=5) as table:
            header = table.row()
            for title in headers:
                header.cell(_text(title))
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(_text(value))

    def signature_lines(self, labels: Sequence[str]) -> None:
        self._pdf.ln(10)
        self._pdf.set_font(_FONT, "", 10)
        for label in labels:
            self._pdf.cell(0, 10, _text(f"{label}: ____________________________________"), new_x="LMARGIN", new_y="NEXT")

    def output(self) -> bytes:
        if self._footer:
            self._pdf.ln(6)
            self._pdf.set_font(_FONT, "I", 8)
            self._pdf.multi_cell(0, 5, _text(self._footer), new_x="LMARGIN", new_y="NEXT")
        return bytes(self._pdf.output())
