"""The SPAR-shaped production adapter of the population register against a small local fake of SPAR's
person search over real HTTP (kit.testing.fake_api): a person, not registered, protected identity
honoured (no address leaves the adapter), a transient 503 retried, a timeout → 503 problem; and the
settings rule that its credentials are required in production only when it is chosen."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from kit.adapters import OutsideSystemError
from kit.testing import fake_api
from logistics.adapters.population_register import (
    DevelopmentPopulationRegister,
    RegisteredPerson,
    SparPopulationRegister,
)
from logistics.settings import Settings


def post(number: str, *, secret: str = "N", protected: str = "N") -> dict:
    return {"PersonId": {"IdNummer": number}, "Sekretessmarkering": secret, "SkyddadFolkbokforing": protected,
            "Namn": [{"Fornamn": "Tolvan", "Efternamn": "Tolvansson"}],
            "Folkbokforingsadress": [{"SvenskAdress": {"Utdelningsadress2": "Testgatan 12", "PostNr": "41101",
                                                       "Postort": "GÖTEBORG"}}]}


def fake_spar() -> tuple[FastAPI, dict]:
    app, seen = FastAPI(), {"calls": [], "auth": set()}
    people = {"191212121212": post("191212121212"), "194001019910": post("194001019910", secret="J"),
              "195001082385": post("195001082385", protected="J")}

    @app.post("/personsok")
    async def search(request: Request):
        number = (await request.json())["IdNummer"]
        seen["calls"].append(number)
        seen["auth"].add(request.headers.get("authorization"))
        if number == "198001011234" and seen["calls"].count(number) == 1:
            return JSONResponse({"message": "busy"}, status_code=503)
        if number == "197001011234":
            await asyncio.sleep(2)
        if number == "198001011234":
            return {"PersonsokningSvarspost": [post(number)]}
        return {"PersonsokningSvarspost": [people[number]] if number in people else []}

    return app, seen


def settings(url: str) -> Settings:
    return Settings(environment="test", population_register="http", population_register_url=url,
                    population_register_api_key="spar-key", population_register_timeout_s=0.3)


async def test_the_register_adapter_finds_people_and_honours_protected_identity():
    app, seen = fake_spar()
    async with fake_api(app) as url:
        register = SparPopulationRegister(settings(url))
        assert await register.lookup("191212121212") == RegisteredPerson("Tolvan Tolvansson", "Testgatan 12", "41101",
                                                                         "GÖTEBORG")
        assert seen["auth"] == {"Bearer spar-key"}
        assert await register.lookup("191111111111") is None
        for number in ("194001019910", "195001082385"):  # sekretessmarkering, skyddad folkbokföring
            person = await register.lookup(number)
            assert person.protected and (person.street, person.postal_code, person.city) == ("", "", "")
            assert "Tolvan" not in person.name
        assert (await register.lookup("198001011234")).name == "Tolvan Tolvansson"
        assert seen["calls"].count("198001011234") == 2  # the 503 was retried
        with pytest.raises(OutsideSystemError) as slow:
            await register.lookup("197001011234")
        assert slow.value.status == 503 and slow.value.slug == "population-register-unavailable"
        await register.close()


async def test_the_development_register_invents_people_and_has_protected_ones():
    register = DevelopmentPopulationRegister()
    assert (await register.lookup("194501019287")).street
    assert await register.lookup("195001080000") is None
    assert (await register.lookup("194001019910")).protected


def test_production_requires_the_register_credentials_only_when_it_is_chosen():
    base = {"environment": "production", "partner_pseudonym_key": "a-real-pseudonym-key", "amqp_url": "amqp://u:p@mq/"}
    assert not any("POPULATION_REGISTER" in p for p in Settings(**base, population_register="stub").problems())
    named = {p.split(":")[0] for p in Settings(**base, population_register="http").problems()}
    assert {"LOGISTICS_POPULATION_REGISTER_URL", "LOGISTICS_POPULATION_REGISTER_CLIENT_CERT or "
            "LOGISTICS_POPULATION_REGISTER_API_KEY"} <= named
    ready = Settings(**base, population_register="http", population_register_url="https://spar",
                     population_register_client_cert="/run/secrets/spar.pem", population_register_client_key="/run/secrets/spar.key")
    assert not any("POPULATION_REGISTER" in p for p in ready.problems())
    assert "LOGISTICS_POPULATION_REGISTER" in {p.split(":")[0] for p in Settings(**base).problems()}
