"""The portal's pure rules: who reaches a client's records and as what (PT-7), from the directory."""

import uuid

from portal.clients import rules

CLIENT, OTHER, REP, COORD = (uuid.uuid4() for _ in range(4))


def reach(account, *, held, acting_for=None, member=True, admin=False, client=CLIENT):
    return rules.relation(account_id=account, acting_for=acting_for, admin=admin, client_id=client,
                          client_is_member=member, held=set(held))


def test_the_client_reaches_themself_only_while_a_client_of_the_organisation():
    assert reach(CLIENT, held={"client"}) == "client"
    assert reach(CLIENT, held=set()) is None  # the membership was revoked
    assert reach(OTHER, held={"client"}) is None  # another client of the same organisation


def test_a_representative_needs_the_session_and_the_role_in_the_clients_organisation():
    assert reach(REP, held={"representative"}, acting_for=CLIENT) == "representative"
    assert reach(REP, held={"representative"}, acting_for=OTHER) is None  # another client than the session's
    assert reach(REP, held=set(), acting_for=CLIENT) is None  # the act claim alone is not enough
    assert reach(REP, held={"representative"}) is None  # no client chosen


def test_a_coordinator_reaches_the_clients_of_their_organisation_while_the_client_is_one():
    assert reach(COORD, held={"care_coordinator"}) == "care_coordinator"
    assert reach(COORD, held=set()) is None
    assert reach(COORD, held={"care_coordinator"}, member=False) is None
    assert reach(COORD, held={"care_coordinator"}, acting_for=OTHER) is None  # a session acting for someone


def test_admins_read_everything():
    assert reach(uuid.uuid4(), held=set(), admin=True, member=False) == "admin"


def test_the_refusal_reason_is_for_the_audit():
    assert rules.refusal_reason(exists=False, acting_for=None, client_id=CLIENT) == "no such client"
    assert "chosen for this session" in rules.refusal_reason(exists=True, acting_for=OTHER, client_id=CLIENT)
    assert "not a representative" in rules.refusal_reason(exists=True, acting_for=CLIENT, client_id=CLIENT)
    assert "coordinator" in rules.refusal_reason(exists=True, acting_for=None, client_id=CLIENT)
