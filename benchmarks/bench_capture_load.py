"""Load run of data capture against the real server (gunicorn on loopback, its own SQLite or,
with DATABASE_URL, PostgreSQL database): 20 concurrent site users save GVHD assessments for
``--duration`` seconds (default 600 = 10 minutes; think time compressed to ``--think``), each save
going through the form's service (gateway, audit, edit checks, queries).

Afterwards every patient's stored assessments are compared with the acknowledged saves: no save
may be lost or duplicated. Prints the p50/p95/max save latency (target p95 < 150 ms on SQLite).

    .venv/bin/python benchmarks/bench_capture_load.py [--duration 600] [--users 20]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from gvhdtrial.web.loadrun import Client, HttpError, LiveServer, create_patients, randomize_all


def run(
    duration: float, users: int = 20, think: float = 0.5, workers: int = 2, threads: int = 8
) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="gvhdtrial-capture-load-"))
    server = LiveServer(home / "srv", workers=workers, threads=threads)
    try:
        tokens = server.seed(slots_per_stratum=20)
        server.start()
        patients = create_patients(server.url, tokens, users, users)
        randomize_all(server.url, tokens, patients, users)
        owners = sorted(patients.items())  # (patient id, site): one patient per user
        acked: dict[int, list[str]] = {pid: [] for pid, _ in owners}
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + duration
        start_day = dt.date(2024, 1, 3)

        def user(pid: int, site: str) -> None:
            headers = {"Authorization": f"Bearer {tokens[site]}"}
            n = 0
            with Client(server.url) as client:
                while time.monotonic() < stop_at:
                    day = start_day + dt.timedelta(days=n)
                    body = {
                        "assessment_date": day.isoformat(), "visit": "unscheduled",
                        "skin_bsa_percent": float(n % 70), "bilirubin": 1.0 + (n % 5),
                        "stool_ml_per_day": float(200 + 50 * (n % 30)), "weight_kg": 60.0,
                    }  # fmt: skip
                    t0 = time.perf_counter()
                    try:
                        r = client.post(f"/api/patients/{pid}/assessments", json=body,
                                        headers=headers)  # fmt: skip
                    except HttpError as exc:
                        with lock:
                            errors.append(f"{pid} {day}: {exc}")
                        n += 1
                        continue
                    elapsed = time.perf_counter() - t0
                    with lock:
                        if r.status_code == 201:
                            latencies.append(elapsed)
                            acked[pid].append(day.isoformat())
                        else:
                            errors.append(f"{pid} {day}: {r.status_code} {r.text[:200]}")
                    n += 1
                    time.sleep(think)

        workers_ = [threading.Thread(target=user, args=o) for o in owners]
        t0 = time.monotonic()
        for w in workers_:
            w.start()
        for w in workers_:
            w.join()
        wall = time.monotonic() - t0
        lost, duplicated, stored_total = 0, 0, 0
        with Client(server.url) as client:
            for pid, site in owners:
                r = client.get(f"/api/patients/{pid}/assessments",
                               headers={"Authorization": f"Bearer {tokens[site]}"})  # fmt: skip
                stored = [a["assessment_date"] for a in r.json()]
                stored_total += len(stored)
                duplicated += len(stored) - len(set(stored))
                lost += len(set(acked[pid]) - set(stored))
        latencies.sort()

        def pct(q: float) -> float:
            return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

        return {
            "vendor": server.vendor, "users": users, "duration_s": round(wall, 1),
            "saves": len(latencies), "stored": stored_total, "errors": errors[:5],
            "n_errors": len(errors), "lost": lost, "duplicated": duplicated,
            "unacknowledged_stored": stored_total - len(latencies),
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
    parser.add_argument(
        "--think", type=float, default=0.5,
        help="seconds between one user's saves (real users take ~30 s per form; compressed)",
    )  # fmt: skip
    args = parser.parse_args()
    result = run(args.duration, args.users, args.think)
    for key, value in result.items():
        print(f"{key:>22}: {value}")
    ok = not result["lost"] and not result["duplicated"] and not result["n_errors"]
    print("OK: no lost or duplicated saves" if ok else "FAILED")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
