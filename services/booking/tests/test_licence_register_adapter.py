"""The licence register's production adapter against a local fake of the HOSP-shaped API (real HTTP)."""

from __future__ import annotations

import asyncio

import pytest
from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from booking.adapters.licence_register import HospLicenceRegister, Licence
from booking.settings import Settings
from kit.adapters import OutsideSystemError
from kit.testing import fake_api

KEY = "register-test-key"


def fake_register() -> FastAPI:
    app = FastAPI()
    app.state.busy, app.state.slow, app.state.seen = 0, False, []

    @app.post("/licences/lookup")
    async def lookup(request: Request, x_api_key: str = Header("")) -> JSONResponse:
        body = await request.json()
        app.state.seen.append(body)
        if x_api_key != KEY:
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        if app.state.slow:
            await asyncio.sleep(2)
        if app.state.busy:
            app.state.busy -= 1
            return JSONResponse({"error": "maintenance"}, status_code=503)
        known = {"PSY-200001": "valid", "PSY-200002": "withdrawn"}
        number = body.get("licenceNumber") or ("PSY-200001" if body.get("personalIdentityNumber") == "199001010017" else None)
        if number not in known:
            return JSONResponse({"error": "notFound"}, status_code=404)
        return JSONResponse({"licenceNumber": number, "name": "Test Legitimerad", "status": known[number],
                             "healthCareProfessionalLicence": {"code": "PS", "name": "Legitimerad psykolog"}})

    return app


@pytest.fixture
async def register():
    app = fake_register()
    async with fake_api(app) as url:
        settings = Settings(environment="test", licence_register="http", licence_register_url=url,
                            licence_register_api_key=KEY, licence_register_timeout_s=0.5)
        adapter = HospLicenceRegister(settings)
        adapter.fake = app
        yield adapter
        await adapter.close()


async def test_a_licence_is_found_by_number_or_person_and_an_unknown_one_is_none(register):
    assert await register.lookup("psy-200001") == Licence("PSY-200001", "Test Legitimerad", "Legitimerad psykolog", True)
    assert (await register.lookup("PSY-200002")).valid is False
    assert await register.lookup("PSY-999999") is None
    assert (await register.lookup("199001010017", by="person")).number == "PSY-200001"
    assert register.fake.state.seen[-1] == {"personalIdentityNumber": "199001010017"}


async def test_a_busy_register_is_asked_again(register):
    register.fake.state.busy = 2
    assert (await register.lookup("PSY-200001")).valid
    assert register.fake.state.busy == 0


async def test_a_refused_key_and_a_register_that_does_not_answer_are_503_problems(register):
    register.api.client.headers["X-API-Key"] = "wrong"
    with pytest.raises(OutsideSystemError) as refused:
        await register.lookup("PSY-200001")
    assert refused.value.status == 503 and refused.value.slug == "licence-register-unavailable"
    assert "401" in refused.value.detail
    register.api.client.headers["X-API-Key"] = KEY
    register.fake.state.slow = True
    with pytest.raises(OutsideSystemError) as slow:
        await register.lookup("PSY-200001")
    assert slow.value.status == 503 and "cannot be reached" in slow.value.detail


def test_production_needs_the_url_and_key_only_when_the_http_register_is_chosen():
    stub = Settings(environment="production", licence_register="stub").problems()
    assert not [line for line in stub if "LICENCE_REGISTER" in line]
    unset = Settings(environment="production").problems()
    assert any(line.startswith("BOOKING_LICENCE_REGISTER: not set") for line in unset)
    http = Settings(environment="production", licence_register="http").problems()
    assert {line.split(":")[0] for line in http} >= {"BOOKING_LICENCE_REGISTER_URL", "BOOKING_LICENCE_REGISTER_API_KEY"}
    ready = Settings(environment="production", licence_register="http", licence_register_url="https://hosp.example",
                     licence_register_api_key="k").problems()
    assert not [line for line in ready if "LICENCE_REGISTER" in line]
