"""Every row of rpact's exact one-rate probe grid (tests/fixtures/exact_rates_grid.csv, made by
tests/fixtures/exact_rates_grid.R) against gvhdtrial.design's exact binomial size: prints the
number of rows, mismatches and the time taken. About 30 s of CPU, so outside make test."""

from __future__ import annotations

import csv
import sys
import time
from pathlib import Path

from rich.progress import track

from gvhdtrial.design.rates import exact_binomial_size

GRID = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "exact_rates_grid.csv"


def main() -> int:
    lines = [ln for ln in GRID.read_text().splitlines() if not ln.startswith("#")]
    rows = list(csv.DictReader(lines))
    bad = 0
    t0 = time.perf_counter()
    for r in track(rows, description="exact sizes"):
        n = exact_binomial_size(
            float(r["pi1"]), float(r["theta0"]), float(r["alpha"]), float(r["beta"])
        )
        if n != float(r["n"]):
            bad += 1
            print(f"MISMATCH {r}: gvhdtrial {n}")
    print(f"{len(rows)} rpact cases, {bad} mismatches, {time.perf_counter() - t0:.1f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
