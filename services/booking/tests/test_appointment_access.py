"""The clinic a new appointment type or template belongs to (booking.appointments.access.choose_clinic)."""

import uuid

import pytest

from booking.appointments.access import Practice, choose_clinic
from kit.problems import Problem

ONE, TWO = uuid.uuid4(), uuid.uuid4()


def test_the_only_clinic_is_chosen_without_asking():
    assert choose_clinic(frozenset({ONE}), None) == ONE


def test_a_clinic_asked_for_must_be_one_of_the_practitioners():
    assert choose_clinic(frozenset({ONE, TWO}), TWO) == TWO
    with pytest.raises(Problem) as refused:
        choose_clinic(frozenset({ONE}), TWO)
    assert refused.value.status == 403 and str(TWO) in refused.value.detail


def test_several_clinics_need_a_choice_and_none_is_refused():
    with pytest.raises(Problem) as several:
        choose_clinic(frozenset({ONE, TWO}), None)
    assert several.value.status == 422 and several.value.slug == "choose-clinic"
    with pytest.raises(Problem) as none:
        choose_clinic(frozenset(), None)
    assert none.value.status == 403 and "no clinic" in none.value.detail


def test_rows_of_a_clinic_are_seen_by_its_practitioners_and_old_rows_by_their_maker_only():
    me = Practice(id=uuid.uuid4(), clinics=frozenset({ONE}))
    someone = uuid.uuid4()
    assert me.sees(ONE, someone)            # a colleague's appointment in my clinic
    assert not me.sees(TWO, me.id)          # my own row, but of a clinic I no longer practise in
    assert me.sees(None, me.id) and not me.sees(None, someone)
