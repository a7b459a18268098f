"""One scenario of the chaos suite (`make chaos`, tests/chaos/) in the normal suite: four kinds of poison
message arrive while clients book and pay through the gateway. Each ends in the dead-letter queue of the
queue it reached, with its reason, and nothing else does; every paid booking is confirmed once, captured
once, mailed once to the client and once to the therapist; no client sees a 500."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "chaos"))
import scenarios  # noqa: E402


async def test_poison_messages_end_in_their_dlqs_and_the_bookings_go_on():
    poison = next(s for s in scenarios.SCENARIOS if s.name == "poison")
    outcome = await scenarios.run(poison, concurrency=3, slots_per_therapist=40)
    print("\n".join([outcome.line(), *outcome.notes]))
    assert (outcome.lost, outcome.doubled, outcome.duplicate_emails, outcome.errors_500, outcome.dlq_mismatches) == (
        0, 0, 0, 0, 0), "\n".join(outcome.notes)
    assert outcome.bookings >= 5
    assert outcome.recovery_s is not None and outcome.recovery_s <= scenarios.RECOVERY_LIMIT_S
