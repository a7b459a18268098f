"""Socialstyrelsen's register of licensed health-care personnel (HOSP), chosen by BOOKING_LICENCE_REGISTER
(BK-2: an application is authorised only against a valid licence).

- ``stub`` (``LicenceRegisterStub``): knows a few invented licence numbers (development and tests);
- ``http`` (``HospLicenceRegister``): a HOSP-shaped REST lookup at BOOKING_LICENCE_REGISTER_URL with
  ``X-API-Key: {BOOKING_LICENCE_REGISTER_API_KEY}``: ``POST /licences/lookup`` with ``{"licenceNumber"}``
  or ``{"personalIdentityNumber"}`` (in the body, never in a URL that ends up in logs), answering
  ``{"licenceNumber", "name", "healthCareProfessionalLicence": {"code", "name"}, "status"}`` where status is
  ``valid``, ``withdrawn`` or ``suspended``; 404 when the register has no such licence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from booking.settings import Settings
from kit.adapters import HttpApi, OutsideSystemError
from kit.raises import declares

SYSTEM = "licence-register"


@dataclass(frozen=True)
class Licence:
    number: str
    holder: str
    profession: str
    valid: bool


@declares(503, "licence-register-unavailable")
class LicenceRegister(Protocol):
    async def lookup(self, number: str, *, by: Literal["licence", "person"] = "licence") -> Licence | None:
        """The licence with this licence number (or the licence of the person with this personal identity
        number); None when the register has none."""
        ...


DEVELOPMENT_REGISTER = {
    "PSY-100001": Licence("PSY-100001", "Test Terapeut", "Legitimerad psykolog", True),
    "PSY-100002": Licence("PSY-100002", "Demo Terapeut", "Legitimerad psykoterapeut", True),
    "PSY-100003": Licence("PSY-100003", "Test Indragen", "Legitimerad psykolog", False),
}


class LicenceRegisterStub:
    """Knows a few invented licence numbers and no personal numbers."""

    async def lookup(self, number: str, *, by: Literal["licence", "person"] = "licence") -> Licence | None:
        return DEVELOPMENT_REGISTER.get(number.strip().upper()) if by == "licence" else None


class HospLicenceRegister:
    def __init__(self, settings: Settings) -> None:
        self.api = HttpApi(SYSTEM, settings.licence_register_url, timeout_s=settings.licence_register_timeout_s,
                           attempts=settings.licence_register_attempts,
                           headers={"X-API-Key": settings.licence_register_api_key.get_secret_value()})

    async def lookup(self, number: str, *, by: Literal["licence", "person"] = "licence") -> Licence | None:
        key = "licenceNumber" if by == "licence" else "personalIdentityNumber"
        response = await self.api.request("POST", "/licences/lookup", json={key: number.strip().upper()})
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise OutsideSystemError(SYSTEM, f"the licence register refused the look-up ({response.status_code})")
        try:
            found = response.json()
            return Licence(str(found["licenceNumber"]), str(found.get("name") or ""),
                           str(found["healthCareProfessionalLicence"]["name"]), found["status"] == "valid")
        except (ValueError, KeyError, TypeError) as exc:
            raise OutsideSystemError(SYSTEM, "the licence register answered something we cannot read") from exc

    async def close(self) -> None:
        await self.api.close()


def licence_register(settings: Settings) -> LicenceRegister:
    if settings.licence_register == "http":
        return HospLicenceRegister(settings)
    return LicenceRegisterStub()
