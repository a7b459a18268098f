"""kit.pdf: the text of a document can be read back, Swedish letters included."""

import io

from pypdf import PdfReader

from kit.pdf import PdfDocument


def test_a_document_reads_back_with_its_facts_and_table():
    doc = PdfDocument("Lagersaldo förråd 1201", subtitle="Utskriven 2026-11-25")
    doc.facts([("Förråd", "1201 Exempelkommunen")])
    doc.table(["Artikel", "Benämning", "Saldo"], [["100123", "Rollator, låg", -2], ["100124", "Duschpall", 0]])
    doc.table(["Artikel"], [], empty="Inga rader")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(doc.output())).pages)
    for expected in ("Lagersaldo förråd 1201", "1201 Exempelkommunen", "Rollator, låg", "-2", "Duschpall", "Inga rader"):
        assert expected in text


def test_every_european_name_prints():
    doc = PdfDocument("Łukasz Čapek Ærø")
    doc.facts([("Mottagare", "Łukasz Čapek Ærø")])
    doc.table(["Namn"], [["Łukasz Čapek Ærø"]])
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(doc.output())).pages)
    assert text.count("Łukasz Čapek Ærø") == 3
