"""What the operators read: the platform's log (every service, relay and the web app, as `make run` writes it)
never holds a personal identity number, a token, a password or a sign-in code — after people did the things
that carry them: BankID with a personal number, a password and its SMS code, a register look-up by personal
number, a forgotten password (issue #24, point 5; privacy in the developers' guide)."""

from __future__ import annotations

import re

from flows import LG, prescriber_ready, register_recipient, unique, valid_personal_number
from people import ok

from kit import demo

JWT = re.compile(r"eyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}")
#: a Swedish personal or coordination number, with or without century and separator
PERSONAL_NUMBER = re.compile(r"(?<!\d)(?:19|20)?\d{6}[-+]?\d{4}(?!\d)")


def test_the_log_holds_no_identity_number_token_password_or_code(platform):
    number = valid_personal_number(1962)
    client = platform.person("logged client").bankid(number, "Test Loggad Klient")
    assert ok(client.get("/identity/me"))["id"]

    admin = platform.sign_in("demo.admin")  # password + SMS code
    prescriber = platform.sign_in("demo.prescriber")  # SITHS
    prescriber_ready(prescriber, "demo.prescriber")
    looked_up = valid_personal_number(1931)
    recipient = register_recipient(prescriber, looked_up)
    ok(prescriber.get(f"{LG}/recipients/{recipient['id']}"))
    ok(platform.person("forgetful").post("/identity/password/forgot", json={"login": "demo.coordinator"}), 200, 202)
    password, email = f"Hemlig-{unique('pw')}-Fras", f"{unique('logged')}@example.org"
    newcomer = platform.person("newcomer")
    ok(newcomer.post("/identity/register", json={"display_name": "Test Loggad Terapeut", "email": email,
                                                 "password": password, "language": "sv"}), 202)
    ok(newcomer.post("/identity/email/login", json={"email": email, "password": password}))

    # what the processes wrote ("booking | …"); the runner's own table names the demo cast's password and BankID
    # test numbers on purpose: `make run` tells a newcomer whom to sign in as and how
    lines = [line for line in platform.log.read_text(errors="replace").splitlines() if re.match(r"^[\w.-]+\s*\| ", line)]
    assert len(lines) > 50, "the processes' log is (nearly) empty: nothing was checked"
    log = "\n".join(lines)
    for secret in (number, number.replace("-", ""), looked_up, looked_up.replace("-", ""), password):
        assert secret not in log, f"{secret!r} is in the log"
    for person in demo.PEOPLE:
        if person.personal_number:
            assert person.personal_number not in log, f"{person.username}'s personal number is in the log"
    assert not JWT.search(log), f"a token is in the log: {JWT.search(log)[0][:20]}…"
    numbers = [m[0] for m in PERSONAL_NUMBER.finditer(log)]
    assert not [n for n in numbers if _is_personal_number(n)], f"personal numbers in the log: {numbers[:5]}"
    for line in lines:
        if re.search(r"\bcode\b", line, re.IGNORECASE):
            assert not re.search(r"(?<![\d.:-])\d{6}(?![\d.:-])", line), f"a sign-in code in: {line[:200]}"
    assert admin and client


def _is_personal_number(candidate: str) -> bool:
    """True when the ten last digits pass the Luhn check of a personal number (not a timestamp or an id)."""
    digits = re.sub(r"\D", "", candidate)[-10:]
    if len(digits) != 10 or not (1 <= int(digits[2:4]) <= 12 and 1 <= int(digits[4:6]) <= 91):
        return False
    total = 0
    for i, d in enumerate(digits):
        n = int(d) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0
