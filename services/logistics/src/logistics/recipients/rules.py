"""Pure rules of holdings (LG-21, LG-18, LG-12): which delivered articles become holdings, how a pickup or
return by quantity is taken from them (never more than is held and not already on a pickup), and what is
left afterwards (a holding ends at 0)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace


class HoldingRuleError(ValueError):
    pass


class MoreThanHeld(HoldingRuleError):
    def __init__(self, message: str, held: int) -> None:
        super().__init__(message)
        self.held = held


def is_held(article_type: str, individual_tracked: bool) -> bool:
    """A delivered article without individual numbers is held by quantity; individuals are held one by one and
    a service (work, not a thing) is not held at all."""
    return not individual_tracked and article_type != "service"


def may_come_back(article_type: str, what: str) -> None:
    """LG-18: consumables are used up: they are not picked up or returned."""
    if article_type == "consumable":
        raise HoldingRuleError(f"consumables are not picked up or returned: {what}")


@dataclass(frozen=True)
class Held:
    """A holding as a pickup or return sees it: what is held, and how much registered pickups name already."""

    holding_id: uuid.UUID
    article_id: uuid.UUID
    quantity: int
    on_pickup: int = 0

    @property
    def free(self) -> int:
        return max(self.quantity - self.on_pickup, 0)


def take(held: list[Held], quantity: int, *, holding_id: uuid.UUID | None = None,
         article_id: uuid.UUID | None = None, label: str = "") -> list[tuple[uuid.UUID, int]]:
    """Take ``quantity`` from the recipient's holdings (``held`` oldest first): from the named holding, or,
    when only the article is named, from its holdings oldest first. Returns (holding id, quantity) pairs;
    refuses more than is held and free (``MoreThanHeld``) and a holding or article the recipient has none of."""
    if quantity <= 0:
        raise HoldingRuleError("the quantity must be at least 1")
    if holding_id is not None:
        mine = [h for h in held if h.holding_id == holding_id and (article_id is None or h.article_id == article_id)]
        if not mine:
            raise HoldingRuleError(f"not held by this recipient: holding {holding_id}")
    else:
        mine = [h for h in held if h.article_id == article_id]
        if not mine:
            raise HoldingRuleError(f"not held by this recipient: article {label or article_id}")
    free = sum(h.free for h in mine)
    if quantity > free:
        on_pickup = sum(h.on_pickup for h in mine)
        raise MoreThanHeld(f"{label or 'the aid'}: {quantity} asked, {sum(h.quantity for h in mine)} held"
                           + (f", {on_pickup} of them on a pickup already" if on_pickup else ""), held=free)
    taken, left = [], quantity
    for h in mine:
        if left == 0:
            break
        part = min(h.free, left)
        if part:
            taken.append((h.holding_id, part))
            left -= part
    return taken


@dataclass(frozen=True)
class Wanted:
    """One line of a pickup or return: a holding, or an article of the recipient's holdings, and a quantity."""

    quantity: int
    holding_id: uuid.UUID | None = None
    article_id: uuid.UUID | None = None
    label: str = ""


def take_many(held: list[Held], wanted: list[Wanted]) -> list[tuple[uuid.UUID, int]]:
    """Every line taken in turn (what one line takes, the next cannot), merged per holding."""
    order = [h.holding_id for h in held]
    current = {h.holding_id: h for h in held}
    taken: list[tuple[uuid.UUID, int]] = []
    for line in wanted:
        got = take([current[i] for i in order], line.quantity, holding_id=line.holding_id, article_id=line.article_id,
                   label=line.label)
        for holding_id, quantity in got:
            current[holding_id] = replace(current[holding_id], on_pickup=current[holding_id].on_pickup + quantity)
        taken += got
    return merged(taken)


def left_after(held: int, taken: int) -> int:
    """What a holding has left after ``taken`` comes back; 0 ends it."""
    if taken <= 0:
        raise HoldingRuleError("the quantity must be at least 1")
    if taken > held:
        raise MoreThanHeld(f"{taken} asked, {held} held", held=held)
    return held - taken


def merged(wanted: list[tuple[uuid.UUID, int]]) -> list[tuple[uuid.UUID, int]]:
    """The same holding named twice is one entry with both quantities (in the order first named)."""
    total: dict[uuid.UUID, int] = {}
    for holding_id, quantity in wanted:
        total[holding_id] = total.get(holding_id, 0) + quantity
    return list(total.items())
