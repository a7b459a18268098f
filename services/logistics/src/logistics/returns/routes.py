"""Pickup and return routes (thin; use cases in returns.service)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, model_validator

from kit import audit
from kit.pdf import PdfDocument
from kit.service import DbSession
from logistics.access import AidCentre
from logistics.prescribers import service as prescribers
from logistics.recipients import service as recipients
from logistics.returns import service
from logistics.tenancy import Scoped

router = APIRouter(tags=["pickups and returns"])
Reason = Literal["aid_centre", "bed", "ceiling_lift_supplier", "returned_not_deregistered"]
REASON_TITLES = {"aid_centre": "Hämtning av A-hjälpmedel, hjälpmedelscentralen", "bed": "Hämtning av säng/sängtillbehör",
                 "ceiling_lift_supplier": "Hämtning av taklyft, leverantören", "returned_not_deregistered": "Återlämnad men ej avregistrerad"}


class ArticleQuantity(BaseModel):
    """An aid without individual number: the recipient's holding (``GET /recipients/{id}/aids``), or only its
    article (taken from the recipient's holdings of it, oldest first), and how many; not more than held."""

    holding_id: uuid.UUID | None = Field(default=None, description="The recipient's holding (holding_id in the aids view)")
    article_id: uuid.UUID | None = Field(default=None, description="The article, when the holding is not named")
    quantity: int = Field(default=1, gt=0, le=1000)

    @model_validator(mode="after")
    def _named(self) -> ArticleQuantity:
        if self.holding_id is None and self.article_id is None:
            raise ValueError("name the holding (holding_id) or the article (article_id)")
        return self


class HoldingQuantity(BaseModel):
    holding_id: uuid.UUID = Field(description="The recipient's holding (holding_id in the aids view)")
    quantity: int = Field(default=1, gt=0, le=1000)


class PickupIn(BaseModel):
    recipient_id: uuid.UUID
    reason: Reason
    individual_ids: list[uuid.UUID] = Field(default=[], max_length=100)
    articles: list[ArticleQuantity] = Field(default=[], max_length=100, description=(
        "Aids without individual numbers, by holding (or article) and quantity; consumables are not picked up (LG-18)"))
    pickup_address: str | None = Field(default=None, max_length=400, description="The recipient's address unless given")
    contact: str | None = Field(default=None, max_length=200)
    instructions: str | None = Field(default=None, max_length=2000, description="Door code, directions: what helps the drivers")
    infection_flag: bool | None = Field(default=None, description="For this pickup only; the recipient's default otherwise")
    comment: str | None = Field(default=None, max_length=2000)
    service_unit_id: uuid.UUID | None = Field(default=None, description="One of your service units; your default unless given")


class PickupOut(BaseModel):
    id: uuid.UUID
    case_number: str
    reason: str
    status: str
    recipient_id: uuid.UUID
    prescriber_id: uuid.UUID
    service_unit_id: uuid.UUID | None
    service_unit_code: str | None
    service_unit: str
    individual_ids: list[uuid.UUID]
    articles: list[dict]
    pickup_address: str
    contact: str | None
    instructions: str | None
    infection_flag: bool
    comment: str | None
    created_at: datetime
    done_at: datetime | None


@router.post("/pickups", status_code=201)
async def create(body: PickupIn, request: Request, session: DbSession, scope: Scoped) -> PickupOut:
    """LG-12: the confirmation carries the case number."""
    prescriber = await prescribers.me(session, scope.account_id)
    values = body.model_dump()
    values["articles"] = [{"holding_id": a["holding_id"], "article_id": a["article_id"], "quantity": a["quantity"]}
                          for a in values["articles"]]
    found = await service.create_pickup(session, scope, prescriber, request.app.state.settings.partner_pseudonym_key.get_secret_value(), **values)
    return PickupOut.model_validate(found, from_attributes=True)


@router.post("/pickups/{pickup_id}/done")
async def done(pickup_id: uuid.UUID, request: Request, session: DbSession, me: AidCentre, scope: Scoped) -> PickupOut:
    """The aid centre (or the supplier, reported by it) fetched the aids."""
    found = await service.pickup_done(session, scope, pickup_id, request.app.state.settings.partner_pseudonym_key.get_secret_value())
    return PickupOut.model_validate(found, from_attributes=True)


@router.get("/pickups/{pickup_id}.pdf", response_class=Response)
async def printout(pickup_id: uuid.UUID, session: DbSession, scope: Scoped,
                   document: Literal["pickup", "supplier"] = "pickup") -> Response:
    """The printout that goes with the aids. ``document=supplier`` is the supplier-bound one: it carries the
    case number, the aids and where to fetch them, and no personal data (no name, no identity number).
    Audited, as every printout."""
    found = await service.pickup(session, scope, pickup_id, action="print pickup")
    await audit.write(session, actor=scope.account_id, subject=found.recipient_id, action="print pickup",
                      target=f"{found.case_number} {document}", organisation=scope.organisation)
    items = await service.pickup_items(session, found)
    doc = PdfDocument(f"Hämtorder {found.case_number}", subtitle=f"{REASON_TITLES[found.reason]} · {datetime.now(UTC).date().isoformat()}")
    if document == "pickup":
        recipient = await recipients.recipient(session, found.recipient_id)
        doc.facts([("Mottagare", recipient.name)])
    doc.facts([("Hämtadress", found.pickup_address), ("Instruktioner", found.instructions or "-"),
               ("Smitta", "Förskrivaren ska kontaktas" if found.infection_flag else "Förskrivaren behöver inte kontaktas")])
    doc.heading("Hjälpmedel")
    doc.table(["Individ", "Serienummer", "Artikel", "Benämning", "Antal"],
              [[i.number, i.serial_number, a.number, a.name, 1] for i, a in items]
              + [["-", "-", a.number, a.name, quantity] for a, quantity in await service.pickup_articles(session, found)],
              widths=[30, 30, 25, 80, 15], empty="Inga hjälpmedel")
    return Response(doc.output(), media_type="application/pdf")


class ReturnIn(BaseModel):
    recipient_id: uuid.UUID
    receipt_number: str = Field(pattern=r"^\d{8}$", description="The number of the return receipt printed before the return")
    individual_ids: list[uuid.UUID] = Field(default=[], max_length=100)
    holdings: list[HoldingQuantity] = Field(default=[], max_length=100, description=(
        "Purchased aids without individual numbers, by holding and quantity; consumables are not returned (LG-18)"))
    warehouse_code: str
    scrap: bool = False


class HoldingLeft(BaseModel):
    holding_id: uuid.UUID
    returned: int
    quantity: int = Field(description="What the recipient still holds; 0 ends the holding")


class ReturnOut(BaseModel):
    individual_ids: list[uuid.UUID]
    status: str
    warehouse_code: str | None
    holdings: list[HoldingLeft] = []


@router.post("/returns")
async def return_to_store(body: ReturnIn, request: Request, session: DbSession, scope: Scoped) -> ReturnOut:
    """LG-13: purchased aids back to your own buffer store (403 naming the store otherwise), optionally scrapped;
    those without individual numbers by holding and quantity (the held quantity goes down)."""
    back, held = await service.return_to_store(session, scope, request.app.state.settings.partner_pseudonym_key.get_secret_value(),
                                               **body.model_dump())
    return ReturnOut(individual_ids=[i.id for i in back], status="scrapped" if body.scrap else "in_stock",
                     warehouse_code=None if body.scrap else body.warehouse_code,
                     holdings=[HoldingLeft(holding_id=h.id, returned=quantity, quantity=h.quantity) for h, quantity in held])
