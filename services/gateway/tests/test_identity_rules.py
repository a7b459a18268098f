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


def test_masked_addresses_keep_enough_to_recognise_and_too_little_to_learn():
    from gateway.identity.rules import mask_email, mask_phone

    assert mask_email("anna.svensson@example.org") == "a***@example.org"
    assert mask_email("nonsense") == "***"
    assert mask_phone("+46700000712") == "+4670*****12"
    assert mask_phone("+4612") == "*****"


def test_only_an_account_someone_else_made_with_a_personal_number_waits_for_confirmation():
    from datetime import UTC, datetime

    from gateway.identity.rules import awaits_confirmation

    maker = "a-therapist"
    assert awaits_confirmation(maker, "hmac", None)
    assert not awaits_confirmation(maker, "hmac", datetime.now(UTC))  # confirmed once
    assert not awaits_confirmation(None, "hmac", None)  # the person's own (BankID, the seed)
    assert not awaits_confirmation(maker, None, None)  # no personal number: nothing to link
