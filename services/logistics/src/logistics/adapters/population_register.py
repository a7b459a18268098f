"""The population register (folkbokföringen, through SPAR — Statens personadressregister): look up a
person by personal identity number → name and address. The interface the recipient use cases depend on,
the development register that invents people, and the production adapter for a REST/JSON rendering of
SPAR's person search (PersonSok).

Protected people are honoured at the adapter: for a person with ``Sekretessmarkering`` or
``SkyddadFolkbokforing`` (or ``SkyddadIdentitet``) the register gives no address (and SPAR no name), so none is returned, stored or
shown (the recipient has the name "Skyddad identitet" and an empty address).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from kit.adapters import HttpApi, OutsideSystemError
from kit.raises import declares

log = logging.getLogger("logistics.adapters.population_register")

SYSTEM = "population-register"
#: What is shown instead of the name of a person with protected identity
PROTECTED_NAME = "Skyddad identitet"

FIRST = ("Test", "Demo", "Exempel", "Prov")
LAST = ("Testsson", "Demosson", "Exempelsdotter", "Provberg", "Fiktivsson")
STREETS = ("Exempelgatan", "Testvägen", "Provstigen", "Demogränd")
CITIES = (("411 01", "Göteborg"), ("503 30", "Borås"), ("451 30", "Uddevalla"), ("541 30", "Skövde"))


@dataclass(frozen=True)
class RegisteredPerson:
    name: str
    street: str
    postal_code: str
    city: str
    #: Sekretessmarkering or skyddad folkbokföring: no address (nor real name) leaves the register
    protected: bool = False


def protected_person() -> RegisteredPerson:
    return RegisteredPerson(name=PROTECTED_NAME, street="", postal_code="", city="", protected=True)


@declares(503, "population-register-unavailable")
class PopulationRegister(Protocol):
    async def lookup(self, personal_number: str) -> RegisteredPerson | None:
        """The person, or None when the number is not in the register."""
        ...

    async def close(self) -> None: ...


class DevelopmentPopulationRegister:
    """Invented people (``LOGISTICS_POPULATION_REGISTER=stub``): a stable, fictitious name and address for
    any valid number, so demos and tests never hold real people's data. Numbers ending in 0000 are "not
    registered"; numbers whose last four digits start with 99 have protected identity."""

    async def lookup(self, personal_number: str) -> RegisteredPerson | None:
        if personal_number.endswith("0000"):
            return None
        if personal_number[-4:].startswith("99"):
            return protected_person()
        seed = hashlib.sha256(personal_number.encode()).digest()
        postal_code, city = CITIES[seed[3] % len(CITIES)]
        return RegisteredPerson(name=f"{FIRST[seed[0] % len(FIRST)]} {LAST[seed[1] % len(LAST)]}",
                                street=f"{STREETS[seed[2] % len(STREETS)]} {seed[4] % 90 + 1}", postal_code=postal_code, city=city)

    async def close(self) -> None:
        pass


class SparPopulationRegister:
    """SPAR's person search (``LOGISTICS_POPULATION_REGISTER=http``) at ``LOGISTICS_POPULATION_REGISTER_URL``:
    ``POST /personsok`` ``{"IdNummer": "YYYYMMDDNNNC"}`` → ``{"PersonsokningSvarspost": [{"Sekretessmarkering":
    "J"|"N", "SkyddadFolkbokforing": "J"|"N", "Namn": [{"Fornamn", "Efternamn"}], "Folkbokforingsadress":
    [{"SvenskAdress": {"Utdelningsadress2", "PostNr", "Postort"}}]}]}`` (an empty list: not registered).

    SPAR identifies its customers by a client certificate (``LOGISTICS_POPULATION_REGISTER_CLIENT_CERT`` /
    ``_CLIENT_KEY``); a gateway in front of it may want an API key (``LOGISTICS_POPULATION_REGISTER_API_KEY``)
    instead or as well. A search changes nothing, so transient failures are retried.
    """

    def __init__(self, settings: Any, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cert = ((settings.population_register_client_cert, settings.population_register_client_key)
                if settings.population_register_client_cert else None)
        key = settings.population_register_api_key.get_secret_value()
        self.api = HttpApi(SYSTEM, settings.population_register_url, timeout_s=settings.population_register_timeout_s,
                           cert=cert, verify=settings.population_register_ca_bundle or True,
                           headers={"Authorization": f"Bearer {key}"} if key else None, transport=transport)

    async def lookup(self, personal_number: str) -> RegisteredPerson | None:
        body = await self.api.json("POST", "/personsok", json={"IdNummer": personal_number})
        try:
            found = body.get("PersonsokningSvarspost") or []
            return _person(found[0]) if found else None
        except (AttributeError, KeyError, IndexError, TypeError) as exc:
            raise OutsideSystemError(SYSTEM, "the population register answered in a shape we cannot read") from exc

    async def close(self) -> None:
        await self.api.close()


def _first(value: Any) -> dict[str, Any]:
    """SPAR's repeatable elements rendered as JSON: a list, or one object when there is one."""
    return value[0] if isinstance(value, list) else value


#: Any of these set to "J" means the person's address (and name) must not leave the register
PROTECTION_FLAGS = ("Sekretessmarkering", "SkyddadFolkbokforing", "SkyddadIdentitet")


def _person(post: dict[str, Any]) -> RegisteredPerson:
    """One SPAR answer as a person; a protected one keeps nothing but the flag."""
    if any(post.get(flag) == "J" for flag in PROTECTION_FLAGS):
        return protected_person()
    name = _first(post["Namn"])
    address = _first(post["Folkbokforingsadress"])["SvenskAdress"]
    return RegisteredPerson(name=f"{name.get('Fornamn', '')} {name['Efternamn']}".strip(),
                            street=address.get("Utdelningsadress2", ""), postal_code=address.get("PostNr", ""),
                            city=address.get("Postort", ""))
