"""The invented demo cast every service's seed refers to: organisations and people, two of each kind.

Nobody here is real. Ids are derived from the names (uuid5), so the gateway's seed, which makes the accounts
and the directory, and each service's seed, which makes that service's records for them (booking's therapist
profiles, logistics' prescribers and stores, the portal's clients), agree without asking each other. Personal
numbers are Skatteverket's published test numbers or invented with valid check digits; HSA-IDs use a test
organisation number; phones are in the +4670000 test range; emails are at example.org.

`make run` prints ``WORKFLOWS``: per workflow, whom to sign in as and how.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

NAMESPACE = uuid.UUID("9b6f3f0e-6c55-4a2e-9d7e-2f1c0d7a1e55")
PASSWORD = "Demo-Password-2026"


def demo_id(name: str) -> uuid.UUID:
    """The fixed id of a demo organisation or account (``demo_id("demo.prescriber")``)."""
    return uuid.uuid5(NAMESPACE, name)


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    kind: str
    code: str
    name: str
    parent: str | None = None
    time_zone: str = "Europe/Stockholm"

    @property
    def id(self) -> uuid.UUID:
        return demo_id(self.key)

    @property
    def parent_id(self) -> uuid.UUID | None:
        return demo_id(self.parent) if self.parent else None


@dataclass(frozen=True)
class DemoPerson:
    username: str
    display_name: str
    roles: tuple[str, ...]
    #: (organisation key, membership role)
    memberships: tuple[tuple[str, str], ...] = ()
    email: str | None = None
    phone: str | None = None
    personal_number: str | None = None
    hsa_id: str | None = None
    language: str = "sv"
    #: usernames of the clients a representative acts for
    represents: tuple[str, ...] = ()
    #: how this person signs in, for the workflow table
    sign_in: str = "password + SMS code"
    extra: dict = field(default_factory=dict)

    @property
    def id(self) -> uuid.UUID:
        return demo_id(self.username)


ORGANISATIONS = [
    DemoOrganisation("region", "region", "99", "Region Exempelland"),
    DemoOrganisation("aid_centre", "aid_centre", "HMC", "Hjälpmedelscentralen Exempelland", parent="region"),
    DemoOrganisation("municipality.1", "municipality", "1201", "Exempelkommunen", parent="region"),
    DemoOrganisation("unit.1a", "service_unit", "EX-HSV", "Exempelkommunen hemsjukvård", parent="municipality.1"),
    DemoOrganisation("unit.1b", "service_unit", "EX-REH", "Exempelkommunen rehabenhet", parent="municipality.1"),
    DemoOrganisation("store.1", "buffer_store", "K1201", "Exempelkommunen buffertförråd", parent="municipality.1"),
    DemoOrganisation("municipality.2", "municipality", "1202", "Provkommunen", parent="region"),
    DemoOrganisation("unit.2a", "service_unit", "PR-HTJ", "Provkommunen hemtjänst", parent="municipality.2"),
    DemoOrganisation("unit.2b", "service_unit", "PR-KTB", "Provkommunen korttidsboende", parent="municipality.2"),
    DemoOrganisation("store.2", "buffer_store", "K1202", "Provkommunen buffertförråd", parent="municipality.2"),
    DemoOrganisation("clinic.1", "clinic", "FJORD", "Fjordklinikken", time_zone="Europe/Oslo"),
    DemoOrganisation("clinic.2", "clinic", "NORDLYS", "Nordlys klinikk", time_zone="Europe/Oslo"),
    DemoOrganisation("care.1", "care_organisation", "ZORGVELD", "Zorgveld Begeleiding", time_zone="Europe/Amsterdam"),
    DemoOrganisation("care.2", "care_organisation", "RIVIERZORG", "Rivierzorg", time_zone="Europe/Amsterdam"),
]

BANKID = "BankID (development: the simulator approves)"
SITHS = "SITHS card (development: the certificate in var/siths/<username>.pem)"

PEOPLE = [
    DemoPerson("demo.admin", "Demo Admin", ("admin",), email="demo.admin@example.org", phone="+46700000010"),
    # the region: aid-centre staff
    DemoPerson("demo.aidcentre", "Demo Hjälpmedelscentral", ("aid_centre_staff",), (("aid_centre", "aid_centre_staff"),
               ("region", "aid_centre_staff")), hsa_id="SE2321000016-DEMO2", sign_in=SITHS),
    DemoPerson("demo.aidcentre2", "Demo Lagerpersonal", ("aid_centre_staff",), (("aid_centre", "aid_centre_staff"),
               ("region", "aid_centre_staff")), hsa_id="SE2321000016-DEMO6", sign_in=SITHS),
    # municipality 1 and 2: a prescriber (both service units and the buffer store) and a controller each
    DemoPerson("demo.prescriber", "Demo Förskrivare", ("prescriber",),
               (("unit.1a", "prescriber"), ("unit.1b", "prescriber"), ("store.1", "store_keeper")),
               hsa_id="SE2321000016-DEMO1", sign_in=SITHS),
    DemoPerson("demo.prescriber2", "Demo Förskrivare Två", ("prescriber",),
               (("unit.2a", "prescriber"), ("unit.2b", "prescriber"), ("store.2", "store_keeper")),
               hsa_id="SE2321000016-DEMO4", sign_in=SITHS),
    DemoPerson("demo.controller", "Demo Kontrollant", ("controller",), (("municipality.1", "controller"),),
               hsa_id="SE2321000016-DEMO3", sign_in=SITHS),
    DemoPerson("demo.controller2", "Demo Kontrollant Två", ("controller",), (("municipality.2", "controller"),),
               hsa_id="SE2321000016-DEMO5", sign_in=SITHS),
    # the marketplace: two authorised therapists (BankID; email + password), their clients
    DemoPerson("demo.therapist", "Demo Terapeut", ("therapist",), email="demo.therapist@example.org",
               personal_number="191212121212", sign_in=BANKID + " or email + password"),
    DemoPerson("demo.therapist2", "Demo Terapeut Två", ("therapist",), email="demo.therapist2@example.org",
               phone="+46700000011", sign_in="email + password"),
    DemoPerson("demo.mclient", "Demo Klient", ("client",), personal_number="198112189876", sign_in=BANKID),
    DemoPerson("demo.mclient2", "Demo Klient Två", ("client",), email="demo.mclient2@example.org", phone="+46700000012",
               sign_in="email + password + SMS code (invited by demo.therapist2)"),
    # clinics: one practitioner each
    DemoPerson("demo.practitioner", "Demo Behandler", ("therapist",), (("clinic.1", "practitioner"),),
               email="demo.practitioner@example.org", phone="+46700000013", language="nb"),
    DemoPerson("demo.practitioner2", "Demo Behandler To", ("therapist",), (("clinic.2", "practitioner"),),
               email="demo.practitioner2@example.org", phone="+46700000014", language="nb"),
    # clinic patients (booking's seed puts them on the practitioners' lists and on a group appointment)
    DemoPerson("demo.patient", "Demo Pasient", ("client",), email="demo.patient@example.org", phone="+46700000051",
               language="nb", extra={"patient_of": "demo.practitioner"}),
    DemoPerson("demo.patient2", "Demo Pasient To", ("client",), email="demo.patient2@example.org", phone="+46700000052",
               language="nb", extra={"patient_of": "demo.practitioner"}),
    DemoPerson("demo.patient3", "Demo Pasient Tre", ("client",), email="demo.patient3@example.org", phone="+46700000053",
               language="nb", extra={"patient_of": "demo.practitioner2"}),
    # care organisations: a coordinator, two clients and a representative of both, each
    DemoPerson("demo.coordinator", "Demo Coördinator", ("care_coordinator",), (("care.1", "care_coordinator"),),
               email="demo.coordinator@example.org", phone="+46700000004", language="nl"),
    DemoPerson("demo.client", "Demo Cliënt", ("client",), (("care.1", "client"),), email="demo.client@example.org",
               phone="+46700000001", language="nl"),
    DemoPerson("demo.client2", "Demo Cliënt Twee", ("client",), (("care.1", "client"),),
               email="demo.client2@example.org", phone="+46700000002", language="nl"),
    DemoPerson("demo.representative", "Demo Vertegenwoordiger", ("representative",), (("care.1", "representative"),),
               email="demo.rep@example.org", phone="+46700000003", language="nl",
               represents=("demo.client", "demo.client2")),
    DemoPerson("demo.coordinator2", "Demo Coördinator Twee", ("care_coordinator",), (("care.2", "care_coordinator"),),
               email="demo.coordinator2@example.org", phone="+46700000005", language="nl"),
    DemoPerson("demo.client3", "Demo Cliënt Drie", ("client",), (("care.2", "client"),),
               email="demo.client3@example.org", phone="+46700000006", language="nl"),
    DemoPerson("demo.client4", "Demo Cliënt Vier", ("client",), (("care.2", "client"),),
               email="demo.client4@example.org", phone="+46700000007", language="nl"),
    DemoPerson("demo.representative2", "Demo Vertegenwoordiger Twee", ("representative",),
               (("care.2", "representative"),), email="demo.rep2@example.org", phone="+46700000008", language="nl",
               represents=("demo.client3", "demo.client4")),
]

#: who is who, by username
BY_USERNAME = {p.username: p for p in PEOPLE}
BY_KEY = {o.key: o for o in ORGANISATIONS}

#: `make run`'s table: workflow, whom to sign in as
WORKFLOWS = [
    ("Admin: authorise therapists, organisations, audit", "demo.admin"),
    ("Marketplace therapist: profile, slots, clients, journal", "demo.therapist"),
    ("Marketplace therapist signed up by email", "demo.therapist2"),
    ("Marketplace client: matches, book and pay, cancel", "demo.mclient"),
    ("Invited marketplace client", "demo.mclient2"),
    ("Clinic practitioner: group appointments, close, billing cards", "demo.practitioner"),
    ("Prescriber: recipients, orders, pickups, activities", "demo.prescriber"),
    ("Aid-centre staff: catalogue, deliveries, grants", "demo.aidcentre"),
    ("Controller: invoice specifications of the municipality", "demo.controller"),
    ("Care coordinator: clients, reports, plans", "demo.coordinator"),
    ("Portal client: reports, plan approval, measurements", "demo.client"),
    ("Representative of two clients", "demo.representative"),
]
