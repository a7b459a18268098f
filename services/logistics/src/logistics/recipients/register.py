"""The population register (folkbokföringen) behind an interface. A real adapter asks the national
register (e.g. through Navet); the development register invents a stable, fictitious person and address
for any valid number, so demos and tests never hold real people's data."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

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


class PopulationRegister(Protocol):
    async def lookup(self, personal_number: str) -> RegisteredPerson | None: ...


class DevelopmentPopulationRegister:
    """Invented people. Numbers ending in 0000 are "not registered" (to show that case)."""

    async def lookup(self, personal_number: str) -> RegisteredPerson | None:
        if personal_number.endswith("0000"):
            return None
        seed = hashlib.sha256(personal_number.encode()).digest()
        postal_code, city = CITIES[seed[3] % len(CITIES)]
        return RegisteredPerson(name=f"{FIRST[seed[0] % len(FIRST)]} {LAST[seed[1] % len(LAST)]}",
                                street=f"{STREETS[seed[2] % len(STREETS)]} {seed[4] % 90 + 1}", postal_code=postal_code, city=city)
