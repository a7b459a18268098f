"""The directory's pure rules: the tree of kinds, roles by kind and by account, who grants what."""

from gateway.directory import rules
from kit import demo


def test_each_kind_sits_under_its_parent_kind_only():
    assert rules.parent_problem("service_unit", "municipality") is None
    assert rules.parent_problem("buffer_store", "municipality") is None
    assert rules.parent_problem("municipality", "region") is None
    assert rules.parent_problem("aid_centre", "region") is None
    assert rules.parent_problem("region", None) is None
    assert rules.parent_problem("care_organisation", None) is None
    assert "belongs to a municipality, not to a region" in rules.parent_problem("service_unit", "region")
    assert "name it as parent_id" in rules.parent_problem("buffer_store", None)
    assert rules.parent_problem("clinic", "region") == "a clinic has no parent organisation"
    assert rules.parent_problem("municipality", "municipality")


def test_a_role_is_held_in_its_kind_of_organisation():
    assert rules.role_problem("prescriber", "service_unit") is None
    assert rules.role_problem("controller", "municipality") is None
    assert rules.role_problem("store_keeper", "buffer_store") is None
    assert rules.role_problem("aid_centre_staff", "region") is None and rules.role_problem("aid_centre_staff", "aid_centre") is None
    assert rules.role_problem("practitioner", "clinic") is None
    for role in ("care_coordinator", "client", "representative"):
        assert rules.role_problem(role, "care_organisation") is None
        assert rules.role_problem(role, "clinic")
    assert rules.role_problem("prescriber", "municipality") == "the role prescriber is held in a service_unit, not in a municipality"
    assert rules.role_problem("controller", "service_unit")


def test_a_role_needs_an_account_of_that_kind():
    assert rules.account_problem("prescriber", ["prescriber"]) is None
    assert rules.account_problem("store_keeper", ["prescriber"]) is None
    assert rules.account_problem("practitioner", ["therapist"]) is None
    assert rules.account_problem("representative", ["client"]) == "the role representative needs an account with the role representative"
    assert rules.account_problem("prescriber", ["client", "therapist"])


def test_who_grants_what():
    assert rules.managers_of("prescriber") == rules.managers_of("controller") == ["aid_centre_staff"]
    assert rules.managers_of("store_keeper") == ["aid_centre_staff"]
    assert rules.managers_of("client") == rules.managers_of("representative") == ["care_coordinator"]
    assert rules.managers_of("care_coordinator") == rules.managers_of("aid_centre_staff") == []  # admins only
    assert rules.memberships_for(["client"]) == ["client"]
    assert rules.memberships_for(["therapist", "admin"]) == ["practitioner"]
    assert rules.memberships_for(["admin"]) == []


def test_time_zones_are_iana_names():
    assert rules.time_zone_problem("Europe/Amsterdam") is None
    assert "not an IANA time zone" in rules.time_zone_problem("CET+1")


def test_the_demo_cast_keeps_the_rules():
    """kit.demo's organisations and memberships are what the API would accept."""
    for organisation in demo.ORGANISATIONS:
        parent = demo.BY_KEY[organisation.parent] if organisation.parent else None
        assert rules.parent_problem(organisation.kind, parent.kind if parent else None) is None, organisation.key
    for person in demo.PEOPLE:
        for key, role in person.memberships:
            assert rules.role_problem(role, demo.BY_KEY[key].kind) is None, (person.username, key)
            assert rules.account_problem(role, person.roles) is None, (person.username, role)
        for client in person.represents:
            shared = {k for k, r in person.memberships if r == "representative"}
            assert shared & {k for k, r in demo.BY_USERNAME[client].memberships if r == "client"}, (person.username, client)
