"""Pure rules of holdings (LG-21): what a delivery holds by quantity, a pickup or return never takes more
than is held and free, consumables never come back (LG-18), a holding ends at 0."""

import uuid

import pytest

from logistics.recipients import rules

CANE, CUSHION = uuid.uuid4(), uuid.uuid4()
OLD, NEW, OTHER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
HELD = [rules.Held(OLD, CANE, 2), rules.Held(NEW, CANE, 3), rules.Held(OTHER, CUSHION, 1)]


def test_what_a_delivery_holds_by_quantity():
    assert rules.is_held("accessory", individual_tracked=False)
    assert rules.is_held("main", individual_tracked=False)  # a purchased aid without individual number
    assert rules.is_held("consumable", individual_tracked=False)
    assert not rules.is_held("main", individual_tracked=True)  # an individual, held one by one
    assert not rules.is_held("service", individual_tracked=False)


def test_consumables_are_not_picked_up_or_returned():
    rules.may_come_back("accessory", "14190 Armstöd")
    with pytest.raises(rules.HoldingRuleError, match="consumables are not picked up or returned: 100009 Dopp"):
        rules.may_come_back("consumable", "100009 Dopp")


def test_a_named_holding_gives_at_most_what_it_holds():
    assert rules.take(HELD, 2, holding_id=NEW) == [(NEW, 2)]
    assert rules.take(HELD, 3, holding_id=NEW) == [(NEW, 3)]
    with pytest.raises(rules.MoreThanHeld, match="4 asked, 3 held") as refused:
        rules.take(HELD, 4, holding_id=NEW, label="Käpp")
    assert refused.value.held == 3


def test_an_article_is_taken_from_its_oldest_holdings_first():
    assert rules.take(HELD, 1, article_id=CANE) == [(OLD, 1)]
    assert rules.take(HELD, 4, article_id=CANE) == [(OLD, 2), (NEW, 2)]
    with pytest.raises(rules.MoreThanHeld, match="6 asked, 5 held"):
        rules.take(HELD, 6, article_id=CANE)


def test_what_a_registered_pickup_names_already_is_not_free():
    on_pickup = [rules.Held(OLD, CANE, 2, on_pickup=2), rules.Held(NEW, CANE, 3, on_pickup=1)]
    assert rules.take(on_pickup, 2, article_id=CANE) == [(NEW, 2)]
    with pytest.raises(rules.MoreThanHeld, match="3 of them on a pickup already") as refused:
        rules.take(on_pickup, 3, article_id=CANE)
    assert refused.value.held == 2


def test_lines_of_one_pickup_add_up_per_holding():
    wanted = [rules.Wanted(quantity=1, holding_id=NEW), rules.Wanted(quantity=2, holding_id=NEW)]
    assert rules.take_many(HELD, wanted) == [(NEW, 3)]
    with pytest.raises(rules.MoreThanHeld):
        rules.take_many(HELD, wanted + [rules.Wanted(quantity=1, holding_id=NEW)])
    assert rules.take_many(HELD, [rules.Wanted(quantity=2, article_id=CANE), rules.Wanted(quantity=1, article_id=CANE),
                                  rules.Wanted(quantity=1, holding_id=OTHER)]) == [(OLD, 2), (NEW, 1), (OTHER, 1)]


def test_a_holding_or_article_the_recipient_does_not_have_is_refused():
    with pytest.raises(rules.HoldingRuleError, match="not held by this recipient: holding"):
        rules.take(HELD, 1, holding_id=uuid.uuid4())
    with pytest.raises(rules.HoldingRuleError, match="not held by this recipient: article Rollator"):
        rules.take(HELD, 1, article_id=uuid.uuid4(), label="Rollator")
    with pytest.raises(rules.HoldingRuleError, match="not held by this recipient"):  # the holding is of another article
        rules.take(HELD, 1, holding_id=OTHER, article_id=CANE)
    with pytest.raises(rules.HoldingRuleError, match="at least 1"):
        rules.take(HELD, 0, holding_id=NEW)


def test_a_holding_goes_down_by_what_comes_back_and_ends_at_zero():
    assert rules.left_after(3, 2) == 1
    assert rules.left_after(1, 1) == 0
    with pytest.raises(rules.MoreThanHeld, match="2 asked, 1 held"):
        rules.left_after(1, 2)
    with pytest.raises(rules.HoldingRuleError):
        rules.left_after(1, 0)
