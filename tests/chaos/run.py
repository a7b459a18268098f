"""`make chaos`: the platform under faults, one scenario after another, each on a platform of its own.

    python tests/chaos/run.py                      # every scenario (about 6 minutes on 2 CPUs)
    python tests/chaos/run.py kill-billing poison  # only these

Scenarios (tests/chaos/scenarios.py): broker-restart (rabbitmqctl stop_app / start_app during the stream),
kill-billing, kill-booking, kill-relays (kill -9 mid-saga, started again at once), poison (four kinds of bad
message), postgres-restart (pg_ctlcluster restart), saturation (booking's connection budget used up). This
machine only: it stops and starts the local RabbitMQ and PostgreSQL. Each service's log is in
$TMPDIR/chaos-logs/<scenario>/.

Printed last, as JSON: {"scenarios", "lost", "doubled", "duplicate_emails", "errors_500", "max_recovery_s"}
(and "dlq_mismatches", "failed"). Exit code 1 when any count is above 0 or a recovery took over 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scenarios import LOGS, RECOVERY_LIMIT_S, SCENARIOS, Outcome, run  # noqa: E402


async def main(names: list[str]) -> int:
    chosen = [s for s in SCENARIOS if not names or s.name in names]
    unknown = set(names) - {s.name for s in SCENARIOS}
    if unknown:
        print(f"unknown scenarios: {', '.join(sorted(unknown))}; known: {', '.join(s.name for s in SCENARIOS)}")
        return 2
    outcomes: list[Outcome] = []
    started = time.monotonic()
    for scenario in chosen:
        print(f"--- {scenario.name}", flush=True)
        began = time.monotonic()
        try:
            outcome = await run(scenario)
        except Exception as exc:  # noqa: BLE001 - a scenario that breaks is reported, the others still run
            where = [f for f in traceback.extract_tb(exc.__traceback__) if "site-packages" not in f.filename][-1]
            outcome = Outcome(scenario.name, notes=[f"the scenario broke off: {exc!r} ({where.filename}:{where.lineno})"])
        outcomes.append(outcome)
        print(outcome.line() + f"  ({time.monotonic() - began:.0f} s)", flush=True)
        for note in outcome.notes:
            print(f"     {note}", flush=True)
    recoveries = [o.recovery_s for o in outcomes]
    summary = {
        "scenarios": len(outcomes),
        "lost": sum(o.lost for o in outcomes),
        "doubled": sum(o.doubled for o in outcomes),
        "duplicate_emails": sum(o.duplicate_emails for o in outcomes),
        "errors_500": sum(o.errors_500 for o in outcomes),
        "max_recovery_s": None if None in recoveries else round(max(recoveries, default=0.0), 1),
        "dlq_mismatches": sum(o.dlq_mismatches for o in outcomes),
        "failed": [o.scenario for o in outcomes if not o.passed],
    }
    print(f"\n{len(outcomes)} scenarios in {time.monotonic() - started:.0f} s (recovery limit {RECOVERY_LIMIT_S:.0f} s; "
          f"logs in {LOGS})")
    print(json.dumps(summary))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scenarios", nargs="*", help="names of the scenarios to run (default: all)")
    raise SystemExit(asyncio.run(main(parser.parse_args().scenarios)))
