"""Printouts of a recipient (LG-10): the aid list (current or prescribed only) and the return receipt."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.identity import mask
from kit.pdf import PdfDocument
from kit.problems import invalid
from logistics.activities import views
from logistics.orders import service as orders
from logistics.recipients.models import Recipient
from logistics.recipients.service import chosen_holdings, held_aids, visible
from logistics.returns import service as returns
from logistics.stock import service as stock
from logistics.tenancy import Scope


def _who(found: Recipient) -> list[tuple[str, object]]:
    ident = mask(found.personal_number) if found.personal_number else f"Vårdenhet {found.care_unit_number}"
    return [("Mottagare", found.name), ("Id", ident), ("Adress", f"{found.street}, {found.postal_code} {found.city}")]


async def aid_list_pdf(session: AsyncSession, scope: Scope, recipient_id: uuid.UUID, variant: str) -> bytes:
    """LG-10: the aid list — ``current`` (aids, ordered, open activities) or ``prescribed`` (aids only). Every aid
    the recipient has: individuals, holdings of aids without individual numbers with their quantity (LG-21),
    and consumables in their own section (LG-18). The printout is audited."""
    found = await visible(session, scope, recipient_id, action="print aid list", target=variant)
    doc = PdfDocument("Hjälpmedelslista" if variant == "current" else "Förskrivna hjälpmedel",
                      subtitle=f"Utskriven {datetime.now(UTC).date().isoformat()}")
    doc.facts(_who(found))
    rows = [(at, [i.number, a.number, a.name, 1, at.date().isoformat()]) for i, a, at in await stock.recipient_individuals(session, recipient_id)]
    rows += [(h.delivered_at, ["-", a.number, a.name, h.quantity, h.delivered_at.date().isoformat()])
             for h, a, _ in await held_aids(session, recipient_id, consumables=False)]
    doc.heading("Hjälpmedel")
    doc.table(["Individ", "Artikel", "Benämning", "Antal", "Levererad"],
              [row for _, row in sorted(rows, key=lambda r: r[0], reverse=True)], widths=[30, 25, 85, 15, 25],
              empty="Inga hjälpmedel")
    doc.heading("Förbrukningsartiklar")
    doc.table(["Artikel", "Benämning", "Antal", "Levererad"],
              [[a.number, a.name, h.quantity, h.delivered_at.date().isoformat()]
               for h, a, _ in await held_aids(session, recipient_id, consumables=True)],
              widths=[25, 115, 15, 25], empty="Inga förbrukningsartiklar")
    if variant == "current":
        doc.heading("Beställda, ej levererade")
        doc.table(["Ordernummer", "Artikel", "Benämning", "Antal", "Planerad leverans"],
                  [[o.case_number, a.number if a else "MANUELL", a.name if a else line.manual_text, line.quantity,
                    o.planned_delivery.isoformat() if o.planned_delivery else ""]
                   for o, line, a in await orders.ordered_for(session, scope, recipient_id)],
                  widths=[25, 22, 85, 15, 33], empty="Inga öppna beställningar")
        doc.heading("Öppna aktiviteter")
        doc.table(["Aktivitet", "Typ", "Registrerad"], [[a.case_number, a.activity_type.replace("_", " "), a.created_at.date().isoformat()]
                                                      for a in await views.activities_for(session, scope, recipient_id, open_only=True)],
                  widths=[30, 100, 50], empty="Inga öppna aktiviteter")
    return doc.output()


async def return_receipt_pdf(session: AsyncSession, scope: Scope, recipient_id: uuid.UUID,
                             individual_ids: list[uuid.UUID], holdings: list[dict] | None = None) -> tuple[str, bytes]:
    """LG-10: the return receipt, made before the return (which names it), listing what is handed back —
    individuals, and aids without individual numbers by holding and quantity (not more than held; no
    consumables, LG-18); signed on paper. The printout is audited."""
    found = await visible(session, scope, recipient_id, action="print return receipt")
    if not individual_ids and not holdings:
        raise invalid("choose the aids handed back")
    aids = {i.id: (i, a) for i, a, _ in await stock.recipient_individuals(session, recipient_id)}
    strangers = [str(i) for i in individual_ids if i not in aids]
    if strangers:
        raise invalid(f"not with this recipient: {', '.join(strangers)}")
    held = await chosen_holdings(session, recipient_id, holdings or [])
    receipt = await returns.record_receipt(session, scope, recipient_id, individual_ids,
                                           [{"holding_id": str(h.id), "article_id": str(h.article_id), "quantity": quantity}
                                            for h, _, quantity in held])
    doc = PdfDocument("Returkvitto", subtitle=f"Nr {receipt.number} · utskrivet {datetime.now(UTC).date().isoformat()}")
    doc.facts(_who(found))
    doc.heading("Återlämnas")
    doc.table(["Individ", "Serienummer", "Artikel", "Benämning", "Antal"],
              [[aids[i][0].number, aids[i][0].serial_number, aids[i][1].number, aids[i][1].name, 1] for i in individual_ids]
              + [["-", "-", a.number, a.name, quantity] for _, a, quantity in held],
              widths=[30, 30, 25, 80, 15])
    doc.signature_lines(["Lämnat av", "Mottaget av", "Datum"])
    return receipt.number, doc.output()
