"""Demo activity made the honest way, through the gateway as a person does (run by `make run` once every
service is ready; idempotent): demo.mclient signs in with BankID (the development simulator approves),
books one of demo.therapist's slots next week and pays it (the payment provider stub confirms and calls
billing's webhook), and books and pays another and cancels it (more than 24 hours before: a full refund).
Whatever was done before is skipped: a confirmed booking with demo.therapist, a cancelled one.

    python deploy/demo_activity.py [--gateway http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "libs" / "kit" / "src"))
from kit import demo  # noqa: E402

DEADLINE_S = 30.0


class Refused(RuntimeError):
    pass


def _ok(response: httpx.Response, *expected: int) -> Any:
    if response.status_code not in (expected or (200,)):
        raise Refused(f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text[:300]}")
    return response.json() if response.content else None


async def sign_in(http: httpx.AsyncClient, username: str) -> dict[str, str]:
    """BankID through the gateway: start an order, let the development simulator sign it, collect the tokens
    (accepting the terms when the session is limited until then)."""
    person = demo.BY_USERNAME[username]
    order = _ok(await http.post("/identity/bankid/auth"))["order_ref"]
    _ok(await http.post("/identity/dev/bankid/sign", json={"order_ref": order, "personal_number": person.personal_number,
                                                           "name": person.display_name}), 204)
    tokens = _ok(await http.post("/identity/bankid/collect", json={"order_ref": order}))["tokens"]
    if tokens.get("scope") == "limited":
        me = _ok(await http.get("/identity/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}))
        version = me["terms_required"]
        tokens = _ok(await http.post("/identity/terms/accept", headers={"Authorization": f"Bearer {tokens['access_token']}"},
                                     json={"version": version}))
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def until(check: Any, what: str) -> Any:
    deadline = asyncio.get_running_loop().time() + DEADLINE_S
    while True:
        if found := await check():
            return found
        if asyncio.get_running_loop().time() > deadline:
            raise Refused(f"timed out after {DEADLINE_S:.0f} s waiting for {what}")
        await asyncio.sleep(0.3)


async def book_and_pay(http: httpx.AsyncClient, me: dict[str, str], slot: dict, key: str) -> dict:
    booking = _ok(await http.post(f"/api/booking/slots/{slot['id']}/reservations", headers=me | {"Idempotency-Key": key}), 201)

    async def payment() -> dict | None:
        response = await http.get(f"/api/billing/payments/by-booking/{booking['id']}", headers=me)
        return response.json() if response.status_code == 200 else None

    paid = await until(payment, "billing to create the payment")
    _ok(await http.post(f"/api/billing/payments/{paid['id']}/pay", headers=me | {"Idempotency-Key": f"{key}-pay"},
                        json={"payment_method": "stub_card_ok"}), 202)

    async def confirmed() -> dict | None:
        found = _ok(await http.get(f"/api/booking/bookings/{booking['id']}", headers=me,
                                   params={"changed_from": "pending_payment", "wait": 10}))
        return found if found["status"] == "confirmed" else None

    return await until(confirmed, "the payment to confirm the booking")


async def run(gateway: str) -> str:
    therapist = str(demo.demo_id("demo.therapist"))
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as http:
        me = await sign_in(http, "demo.mclient")
        mine = [b for b in _ok(await http.get("/api/booking/bookings", headers=me)) if b["therapist_id"] == therapist]
        done = {b["status"] for b in mine}
        free = _ok(await http.get(f"/api/booking/therapists/{therapist}/slots", headers=me))
        made = []
        if "confirmed" not in done:
            if not free:
                raise Refused("demo.therapist has no free slot (did `python -m booking seed` run?)")
            booking = await book_and_pay(http, me, free.pop(0), "demo-activity-paid")
            made.append(f"paid booking {booking['id']}")
        if "cancelled" not in done:
            if not free:
                raise Refused("demo.therapist has no second free slot to book and cancel")
            booking = await book_and_pay(http, me, free.pop(-1), "demo-activity-cancelled")
            cancelled = _ok(await http.post(f"/api/booking/bookings/{booking['id']}/cancel", headers=me))
            made.append(f"cancelled booking {booking['id']} ({cancelled['rule']})")
    return "demo activity: " + ("; ".join(made) if made else "a paid and a cancelled booking of demo.mclient exist already")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateway", default=os.environ.get("DEMO_GATEWAY_URL", "http://127.0.0.1:8000"))
    try:
        print(asyncio.run(run(parser.parse_args().gateway)), flush=True)
    except (Refused, httpx.HTTPError) as exc:
        print(f"demo activity not made: {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
