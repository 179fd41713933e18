"""Load run of data capture against the real server (gunicorn on loopback, its own SQLite or,
with DATABASE_URL, PostgreSQL database): 20 concurrent site users save GVHD assessments for
``--duration`` seconds (default 600 = 10 minutes; think time compressed to ``--think``), each save
going through the form's service (gateway, audit, edit checks, queries).

The work is that of a real trial: at the start each user gets its own randomized patients at
one of the 7 centres (enough for the whole run), and works through them one at a time, entering
a patient's visit series (baseline, one assessment per infusion to day 52, then weekly to day
100, day 180 and day 365: 25 assessments, about what a real patient has) before moving to the
next. No patient ever holds more than 25 assessments.

Afterwards every patient's stored assessments are compared with the acknowledged saves: no save
may be lost or duplicated. Prints the p50/p95/max save latency (target p95 < 150 ms on SQLite).

    .venv/bin/python benchmarks/bench_capture_load.py [--duration 600] [--users 20] [--think 0.5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from gvhdtrial.web.loadrun import Client, HttpError, LiveServer, create_patients, randomize_all

#: One patient's assessments (visit label, study day): baseline, at each of the 16 infusions
#: after the first (twice weekly to day 52), weekly to day 91, then days 100, 180 and 365.
VISITS: tuple[tuple[str, int], ...] = (
    ("baseline", 0),
    *((f"d{d}", d) for d in (3, 7, 10, 14, 17, 21, 24, 28, 31, 35, 38, 42, 45, 49, 52, 56)),
    *((f"d{d}", d) for d in (63, 70, 77, 84, 91, 100, 180, 365)),
)
CENTRES = 7


def _body(visit: str, day: dt.date, k: int) -> dict[str, Any]:
    """An assessment whose values move as a patient's would (k = position in the series)."""
    return {
        "assessment_date": day.isoformat(), "visit": visit,
        "skin_bsa_percent": float(max(0, 60 - 4 * k)), "bilirubin": 1.0 + (k % 3) * 0.5,
        "stool_ml_per_day": float(max(100, 1200 - 60 * k)), "weight_kg": 60.0,
    }  # fmt: skip


def run(
    duration: float,
    users: int = 20,
    think: float = 0.5,
    workers: int = 2,
    threads: int = 8,
    patients_per_user: int | None = None,
) -> dict[str, Any]:
    """``patients_per_user`` defaults to enough for ``duration`` at one save per ``think``."""
    if patients_per_user is None:
        per_save = max(think, 0.02)
        patients_per_user = math.ceil(duration / per_save / len(VISITS)) + 1
    n_patients = users * patients_per_user
    home = Path(tempfile.mkdtemp(prefix="gvhdtrial-capture-load-"))
    server = LiveServer(home / "srv", workers=workers, threads=threads)
    try:
        # Each user works at one centre (users spread over the 7); each centre gets
        # patients_per_user patients for each of its users.
        sites = [f"C{i:02d}" for i in range(1, CENTRES + 1)]
        user_sites = [sites[u % CENTRES] for u in range(users)]
        most_per_site = patients_per_user * user_sites.count(sites[0])
        tokens = server.seed(slots_per_stratum=most_per_site + 10)
        server.start()
        patients: dict[int, str] = {}
        for site in sorted(set(user_sites)):
            n = patients_per_user * user_sites.count(site)
            patients.update(create_patients(server.url, {site: tokens[site]}, n, users))
        randomized = randomize_all(server.url, tokens, patients, users)
        if len(randomized.acknowledged) != n_patients:
            raise RuntimeError(f"randomization failed: {randomized.failures[:3]}")
        by_site: dict[str, list[int]] = {}
        for pid, site in sorted(patients.items()):
            by_site.setdefault(site, []).append(pid)
        queues: list[tuple[str, list[int]]] = [(site, []) for site in user_sites]
        for u, (site, queue) in enumerate(queues):
            mates = [v for v in range(users) if queues[v][0] == site]
            queue.extend(by_site[site][mates.index(u) :: len(mates)])
        acked: dict[int, list[str]] = {pid: [] for pid in patients}
        latencies: list[float] = []
        errors: list[str] = []
        ran_out: list[int] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + duration
        start_day = dt.date.today()  # the patients were randomized today

        def user(u: int, site: str, queue: list[int]) -> None:
            headers = {"Authorization": f"Bearer {tokens[site]}"}
            with Client(server.url) as client:
                for pid in queue:
                    for k, (visit, offset) in enumerate(VISITS):
                        if time.monotonic() >= stop_at:
                            return
                        day = start_day + dt.timedelta(days=offset)
                        t0 = time.perf_counter()
                        try:
                            r = client.post(f"/api/patients/{pid}/assessments",
                                            json=_body(visit, day, k), headers=headers)  # fmt: skip
                        except HttpError as exc:
                            with lock:
                                errors.append(f"{pid} {day}: {exc}")
                            continue
                        elapsed = time.perf_counter() - t0
                        with lock:
                            if r.status_code == 201:
                                latencies.append(elapsed)
                                acked[pid].append(day.isoformat())
                            else:
                                errors.append(f"{pid} {day}: {r.status_code} {r.text[:200]}")
                        time.sleep(think)
            with lock:
                ran_out.append(u)

        workers_ = [
            threading.Thread(target=user, args=(u, site, queue))
            for u, (site, queue) in enumerate(queues)
        ]
        t0 = time.monotonic()
        for w in workers_:
            w.start()
        for w in workers_:
            w.join()
        wall = time.monotonic() - t0
        lost, duplicated, unacked, stored_total, most = 0, 0, 0, 0, 0
        with Client(server.url) as client:
            for pid, site in sorted(patients.items()):
                r = client.get(f"/api/patients/{pid}/assessments",
                               headers={"Authorization": f"Bearer {tokens[site]}"})  # fmt: skip
                stored = [a["assessment_date"] for a in r.json()]
                stored_total += len(stored)
                most = max(most, len(stored))
                duplicated += len(stored) - len(set(stored))
                lost += len(set(acked[pid]) - set(stored))
                unacked += len(set(stored) - set(acked[pid]))
        latencies.sort()
        touched = sum(1 for v in acked.values() if v)

        def pct(q: float) -> float:
            return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

        return {
            "vendor": server.vendor, "users": users, "think_s": think,
            "duration_s": round(wall, 1), "patients": n_patients, "patients_touched": touched,
            "max_assessments_per_patient": most, "users_out_of_patients": len(ran_out),
            "saves": len(latencies), "stored": stored_total, "errors": errors[:5],
            "n_errors": len(errors), "lost": lost, "duplicated": duplicated,
            "unacknowledged_stored": unacked,
            "throughput_per_s": round(len(latencies) / wall, 1),
            "p50_ms": round(pct(0.50), 1), "p95_ms": round(pct(0.95), 1),
            "max_ms": round(latencies[-1] * 1000, 1) if latencies else None,
        }  # fmt: skip
    finally:
        server.stop()
        server.drop_database()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds (default 600)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--patients-per-user", type=int, default=None,
                        help="default: enough for the run at one save per --think")  # fmt: skip
    parser.add_argument(
        "--think", type=float, default=0.5,
        help="seconds between one user's saves (real users take ~30 s per form; compressed)",
    )  # fmt: skip
    args = parser.parse_args()
    result = run(args.duration, args.users, args.think, patients_per_user=args.patients_per_user)
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    ok = not result["lost"] and not result["duplicated"] and not result["n_errors"]
    print("OK: no lost or duplicated saves" if ok else "FAILED")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
