"""Pure identity rules: which product a temporary password's mail names."""

from gateway.identity.rules import credentials_purpose


def test_staff_accounts_are_for_work_whoever_makes_them():
    assert credentials_purpose(["prescriber"], ["admin"]) == "staff"
    assert credentials_purpose(["care_coordinator"], ["admin"]) == "staff"


def test_a_client_a_therapist_made_is_a_marketplace_client():
    assert credentials_purpose(["client"], ["therapist"]) == "marketplace"


def test_clients_and_representatives_of_a_care_organisation_use_the_portal():
    assert credentials_purpose(["client"], ["care_coordinator"]) == "portal"
    assert credentials_purpose(["representative"], ["care_coordinator"]) == "portal"
    assert credentials_purpose(["client"], ["admin"]) == "portal"
