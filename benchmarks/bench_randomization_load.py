"""Load and crash runs of central randomization against the real server on loopback.

    .venv/bin/python benchmarks/bench_randomization_load.py [--patients 2000] [--clients 50]

1. Load run: a gunicorn server (SQLite by default; PostgreSQL when DATABASE_URL is set) with the
   7 reference centres; 50 concurrent clients create 2,000 patients (screened eligible, consent
   recorded) and then randomize them, each patient once, in random order. Prints throughput and
   p50/p99 latency of the randomizations and checks: zero duplicate slots, zero skipped slots,
   every patient exactly once, every acknowledged allocation stored, audit chain intact; then
   re-randomizes 200 patients and checks each gets its first allocation back.
2. Crash run: the same on a fresh database, but the server's process group is killed with
   SIGKILL once a third of the randomizations are acknowledged; the server is restarted and the
   check repeated (nothing half-done, every acknowledged allocation survived); then the
   remaining patients are randomized and the full check is repeated.

Targets (issue 6): >= 100 randomizations/s on SQLite, p99 < 200 ms. Exit status 1 if a check
fails (the timing targets are reported, not enforced, since they depend on the machine).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
from pathlib import Path

from gvhdtrial.web.loadrun import (
    LiveServer,
    create_patients,
    randomize_all,
    repeat_some,
    summary,
    verify,
)

CENTRES = 7


def load_run(args: argparse.Namespace, home: Path) -> bool:
    server = LiveServer(home, workers=args.workers, threads=args.threads)
    try:
        per_centre = -(-args.patients // CENTRES)
        tokens = server.seed(slots_per_stratum=per_centre + 20)
        server.start()
        patients = create_patients(server.url, tokens, args.patients, args.clients)
        result = randomize_all(server.url, tokens, patients, args.clients)
        print(summary(result, f"load run ({server.vendor}, {args.clients} clients)"))
        result.repeats_ok = repeat_some(server.url, tokens, result, 200, args.clients)
        checks = verify(server, result, expect_all=True)
        checks["repeat_requests_return_first_allocation"] = result.repeats_ok
        print(json.dumps(checks, indent=1))
        target = result.throughput >= 100 and result.percentile(99) < 0.2
        print(f"target (SQLite) >= 100/s and p99 < 200 ms: {'met' if target else 'NOT met'}")
        return bool(checks["ok"] and result.repeats_ok and not result.failures)
    finally:
        server.stop()
        server.drop_database()


def crash_run(args: argparse.Namespace, home: Path) -> bool:
    server = LiveServer(home, workers=args.workers, threads=args.threads)
    try:
        per_centre = -(-args.patients // CENTRES)
        tokens = server.seed(slots_per_stratum=per_centre + 20)
        server.start()
        patients = create_patients(server.url, tokens, args.patients, args.clients)
        killed = threading.Event()
        trigger = args.patients // 3

        def on_ack(n: int) -> None:
            if n >= trigger and not killed.is_set():
                killed.set()
                server.kill9()

        result = randomize_all(server.url, tokens, patients, args.clients, on_ack=on_ack)
        print(
            f"crash run ({server.vendor}): SIGKILL after {trigger} acknowledged; "
            f"{len(result.acknowledged)} acknowledged, {len(result.unknown)} in flight or refused "
            "by the dead server"
        )
        server.start()
        after_crash = verify(server, result, expect_all=False)
        print("after restart:", json.dumps(after_crash))
        rest = randomize_all(server.url, tokens, patients, args.clients)
        merged = result
        for pid, number in rest.acknowledged.items():
            if pid in merged.acknowledged and merged.acknowledged[pid] != number:
                print(
                    f"patient {pid}: got {number} after restart, {merged.acknowledged[pid]} before"
                )
                return False
            merged.acknowledged[pid] = number
        final = verify(server, merged, expect_all=True)
        print("after completing:", json.dumps(final))
        return bool(killed.is_set() and after_crash["ok"] and final["ok"])
    finally:
        server.stop()
        server.drop_database()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--skip-crash", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="gvhdtrial-bench-") as tmp:
        ok = load_run(args, Path(tmp) / "load")
        if not args.skip_crash:
            ok = crash_run(args, Path(tmp) / "crash") and ok
    print("ALL CHECKS PASSED" if ok else "A CHECK FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
