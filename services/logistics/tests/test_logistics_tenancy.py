"""The scope rules of logistics.tenancy, without servers: who sees which municipality's records, which
service unit a record is made for, which stores are one's own."""

from __future__ import annotations

import uuid

import pytest

from kit.auth import Principal
from kit.directory import Organisation
from kit.problems import Problem
from logistics.tenancy import Scope

M1, M2 = uuid.uuid4(), uuid.uuid4()


def org(kind: str, code: str, parent: uuid.UUID | None = None) -> Organisation:
    return Organisation(id=uuid.uuid4(), kind=kind, parent_id=parent, code=code, name=f"Namn {code}",
                        time_zone="Europe/Stockholm", active=True)


def scope(*roles: str, **values) -> Scope:
    return Scope(principal=Principal(account_id=uuid.uuid4(), roles=frozenset(roles)), db=None, **values)  # type: ignore[arg-type]


def test_a_prescriber_sees_their_municipalities_only_and_nothing_of_nobody():
    unit = org("service_unit", "EX-HSV", M1)
    me = scope("prescriber", municipalities=frozenset({M1}), units={unit.id: unit})
    assert me.sees(M1) and not me.sees(M2) and not me.sees(None)


def test_aid_centre_staff_see_their_region_and_the_aid_centres_own_records():
    staff = scope("aid_centre_staff", staff=True, municipalities=frozenset({M1, M2}))
    assert staff.sees(M1) and staff.sees(M2) and staff.sees(None) and not staff.sees(uuid.uuid4())
    assert scope("admin", everything=True).sees(uuid.uuid4())


def test_the_unit_of_a_record_is_the_chosen_one_else_the_default_among_the_granted():
    a, b = org("service_unit", "EX-HSV", M1), org("service_unit", "EX-REH", M1)
    me = scope("prescriber", municipalities=frozenset({M1}), units={a.id: a, b.id: b})
    assert me.unit(None, b.id) is b and me.unit(a.id, b.id) is a
    with pytest.raises(Problem) as missing:
        me.unit(None, None)
    assert missing.value.status == 422 and "EX-HSV" in missing.value.detail
    stranger = uuid.uuid4()
    with pytest.raises(Problem) as refused:
        me.unit(stranger, a.id)
    assert refused.value.status == 403 and str(stranger) in refused.value.detail
    only = scope("prescriber", units={a.id: a})
    assert only.unit(None) is a
    with pytest.raises(Problem) as none:
        scope("prescriber").unit(None)
    assert none.value.status == 403


def test_own_stores_are_the_granted_ones():
    store = org("buffer_store", "K1201", M1)
    me = scope("prescriber", stores={"K1201": store})
    assert me.own_store("K1201") is store
    with pytest.raises(Problem) as refused:
        me.own_store("K1202")
    assert refused.value.status == 403 and "K1202" in refused.value.detail
