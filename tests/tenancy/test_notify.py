"""The tenancy matrix for notify's routes (#18): the delivery log names recipients of every organisation, so
only admins read it; the development sinks are development-only and never forwarded by the gateway."""

from __future__ import annotations

import pytest

ROUTES = {
    "GET /deliveries": "matrix",
    "GET /dev/mail": "development",
    "GET /dev/sms": "development",
}


@pytest.mark.parametrize("username", ["demo.prescriber", "demo.aidcentre", "demo.coordinator", "demo.client",
                                      "demo.therapist"])
def test_the_delivery_log_is_refused_to_everyone_but_admins(person, username):
    refused = person(username).get("/api/notify/deliveries")
    assert refused.status_code == 403, refused.text


def test_an_admin_reads_the_delivery_log(person):
    log = person("demo.admin").get("/api/notify/deliveries", params={"limit": 10})
    assert log.status_code == 200 and isinstance(log.json(), list)


def test_the_sinks_are_not_forwarded(person):
    for path in ("/api/notify/dev/mail", "/api/notify/dev/sms"):
        assert person("demo.prescriber").get(path).status_code == 404
