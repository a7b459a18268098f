"""Appointment-book routes (thin; use cases in appointments.service). The caller is the practitioner."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime, BaseModel

from booking.appointments import service
from booking.appointments.access import Practice, practice
from booking.appointments.schemas import (
    AppointmentChange,
    AppointmentIn,
    AppointmentOut,
    ClaimLine,
    CloseIn,
    CopyIn,
    GenerateIn,
    GenerateOut,
    PatientFound,
    PatientsIn,
    TemplateIn,
    TemplateOut,
    TypeIn,
    TypeOut,
)
from booking.therapists.service import authorised
from kit.auth import CurrentPrincipal
from kit.directory import Directory
from kit.service import DbSession

router = APIRouter(tags=["appointment book"])


async def practitioner(session: DbSession, principal: CurrentPrincipal,
                       clinic_id: Annotated[uuid.UUID | None, Query(
                           description="The clinic a new type or template is for, when you work in several")] = None,
                       ) -> Practice:
    """An authorised therapist at work in the books of the clinics where they hold "practitioner"."""
    await authorised(session, principal)
    return await practice(session, principal.account_id, clinic_id)


Practitioner = Annotated[Practice, Depends(practitioner)]


class ClinicOut(BaseModel):
    id: uuid.UUID
    code: str
    name: str
    time_zone: str


@router.get("/clinics/mine")
async def my_clinics(session: DbSession, me: Practitioner) -> list[ClinicOut]:
    """The clinics whose appointment book you work on (you hold "practitioner" there): pass one as
    ``clinic_id`` when you work in several."""
    found = await Directory().organisations(session, me.id, role="practitioner", kind="clinic")
    return [ClinicOut(id=c.id, code=c.code, name=c.name, time_zone=c.time_zone) for c in found]


async def _one(session: DbSession, appointment) -> AppointmentOut:  # noqa: ANN001
    return AppointmentOut(**(await service.describe(session, [appointment]))[0])


@router.post("/appointment-types", status_code=201)
async def create_type(body: TypeIn, request: Request, session: DbSession, me: Practitioner) -> TypeOut:
    """GR-1: name, length, single or group with seats, online booking, notifications, HELFO tariffs or a fee."""
    tariffs = request.app.state.settings.helfo_tariffs
    return TypeOut.model_validate(await service.create_type(session, me, body, tariffs), from_attributes=True)


@router.get("/appointment-types")
async def list_types(session: DbSession, me: Practitioner) -> list[TypeOut]:
    return [TypeOut.model_validate(t, from_attributes=True) for t in await service.list_types(session, me)]


@router.put("/appointment-types/{type_id}")
async def update_type(type_id: uuid.UUID, body: TypeIn, request: Request, session: DbSession, me: Practitioner) -> TypeOut:
    tariffs = request.app.state.settings.helfo_tariffs
    return TypeOut.model_validate(await service.update_type(session, me, type_id, body, tariffs), from_attributes=True)


@router.post("/week-templates", status_code=201)
async def create_template(body: TemplateIn, session: DbSession, me: Practitioner) -> TemplateOut:
    """GR-2: appointment types on weekdays and local times."""
    template, _ = await service.create_template(session, me, body)
    return TemplateOut(id=template.id, **body.model_dump())


@router.post("/week-templates/{template_id}/generate")
async def generate(template_id: uuid.UUID, body: GenerateIn, session: DbSession, me: Practitioner) -> GenerateOut:
    """Create the template's appointments from ``first`` to ``last`` (inclusive); safe to repeat."""
    created, skipped = await service.generate(session, me, template_id, body.first, body.last)
    return GenerateOut(created=created, skipped=skipped)


@router.get("/patients/search")
async def search_patients(session: DbSession, me: Practitioner, q: str = Query(min_length=2, max_length=100)) -> list[PatientFound]:
    """GR-3: find your patients by name to add them to an appointment."""
    return [PatientFound(patient_id=i, name=n) for i, n in await service.search_patients(session, me.id, q)]


@router.post("/appointments", status_code=201)
async def create_appointment(body: AppointmentIn, session: DbSession, me: Practitioner) -> AppointmentOut:
    return await _one(session, await service.create_appointment(session, me, body))


@router.get("/appointments")
async def list_appointments(session: DbSession, me: Practitioner, start: AwareDatetime = Query(alias="from"),
                            end: AwareDatetime = Query(alias="to")) -> list[AppointmentOut]:
    """The appointment book between two instants (at most 62 days)."""
    found = await service.between(session, me, start, end)
    return [AppointmentOut(**a) for a in await service.describe(session, found)]


@router.get("/appointments/{appointment_id}")
async def get_appointment(appointment_id: uuid.UUID, session: DbSession, me: Practitioner) -> AppointmentOut:
    return await _one(session, await service.own_appointment(session, me, appointment_id))


@router.patch("/appointments/{appointment_id}")
async def change_appointment(appointment_id: uuid.UUID, body: AppointmentChange, session: DbSession, me: Practitioner) -> AppointmentOut:
    """GR-4: type, seats, time (move), length (extend), note."""
    return await _one(session, await service.change_appointment(session, me, appointment_id, body))


@router.post("/appointments/{appointment_id}/copy", status_code=201)
async def copy_appointment(appointment_id: uuid.UUID, body: CopyIn, session: DbSession, me: Practitioner) -> AppointmentOut:
    """GR-4: the same appointment at another time; its patients come along."""
    return await _one(session, await service.copy_appointment(session, me, appointment_id, body.starts_at))


@router.delete("/appointments/{appointment_id}", status_code=204)
async def delete_appointment(appointment_id: uuid.UUID, session: DbSession, me: Practitioner) -> Response:
    """GR-5: within five minutes of creating it; afterwards cancel it."""
    await service.delete_appointment(session, me, appointment_id)
    return Response(status_code=204)


@router.post("/appointments/{appointment_id}/cancel")
async def cancel_appointment(appointment_id: uuid.UUID, session: DbSession, me: Practitioner) -> AppointmentOut:
    """GR-8 on the practitioner's behalf: every patient is told; nothing is billed."""
    return await _one(session, await service.cancel_appointment(session, me, appointment_id))


@router.post("/appointments/{appointment_id}/patients")
async def add_patients(appointment_id: uuid.UUID, body: PatientsIn, session: DbSession, me: Practitioner) -> AppointmentOut:
    """GR-3: add patients, never more than the seats."""
    return await _one(session, await service.add_patients(session, me, appointment_id, body.patient_ids))


@router.post("/appointments/{appointment_id}/patients/{patient_id}/cancel")
async def cancel_for_patient(appointment_id: uuid.UUID, patient_id: uuid.UUID, session: DbSession, me: Practitioner) -> AppointmentOut:
    """GR-8 on a patient's behalf."""
    return await _one(session, await service.cancel_for_patient(session, me, appointment_id, patient_id))


@router.post("/appointments/{appointment_id}/patients/{patient_id}/check-in")
async def check_in(appointment_id: uuid.UUID, patient_id: uuid.UUID, session: DbSession, me: Practitioner) -> AppointmentOut:
    await service.check(session, me, appointment_id, patient_id, "in")
    return await get_appointment(appointment_id, session, me)


@router.post("/appointments/{appointment_id}/patients/{patient_id}/check-out")
async def check_out(appointment_id: uuid.UUID, patient_id: uuid.UUID, session: DbSession, me: Practitioner) -> AppointmentOut:
    await service.check(session, me, appointment_id, patient_id, "out")
    return await get_appointment(appointment_id, session, me)


@router.post("/appointments/{appointment_id}/close")
async def close(appointment_id: uuid.UUID, body: CloseIn, request: Request, session: DbSession, me: Practitioner) -> AppointmentOut:
    """GR-7: the shared note into each attending patient's journal; billing cards for the billed ones."""
    state = request.app.state
    closed = await service.close(session, state.journal_keys, state.settings.helfo_tariffs, me, appointment_id, body.note,
                                 body.patients)
    return await _one(session, closed)


@router.get("/appointments/{appointment_id}/helfo-claim")
async def helfo_claim(appointment_id: uuid.UUID, request: Request, session: DbSession, me: Practitioner) -> list[ClaimLine]:
    """HELFO claim lines (tariffs, problem code, guarantee code) of a closed session; an audited read."""
    state = request.app.state
    lines = await service.helfo_claim(session, state.journal_keys, state.settings.helfo_tariffs, me, appointment_id)
    return [ClaimLine(**line) for line in lines]
